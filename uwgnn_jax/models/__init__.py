"""The learned allocators and the registry that dispatches on parameters.

A model's parameters are the plain pytree `{model_name: flax_params}`: the
single top-level key names the model, so dispatch is a property of the
pytree's structure (static under jit), not a string passed at run time. Sizes
(hidden widths, layer counts, the MLP's K) are read back from the shapes.
"""

import functools
from typing import Any, Callable, Mapping, NamedTuple, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from uwgnn_jax import graphs
from uwgnn_jax import validation
from uwgnn_jax.models import layers
from uwgnn_jax.models import mlp
from uwgnn_jax.models import regnn
from uwgnn_jax.models import uwgnn
from uwgnn_jax.models import uwmmse
from uwgnn_jax.models import wcgcn

Params = Mapping[str, Any]


class ModelSpec(NamedTuple):
  """What the rest of the library needs to know about one model."""
  default_module: Callable[..., nn.Module]  # (num_users, **sizes) -> module
  from_params: Callable[[Any], nn.Module]  # Sizes read back from shapes.
  is_graph_model: bool  # Takes any K; False for the fixed-K MLP.
  supervised: bool  # Trained on WMMSE powers (MSE), not on the sum rate.
  # Unrolled layers the module stands for (Tr-WMMSE runs as many).
  num_layers: Callable[[nn.Module], int]
  # The zero-initialised output layer of the power head (p = sigmoid of it,
  # p_max / 2 for every user at the start) that `with_random_power_head`
  # can draw instead; None: not offered (REGNN's last filter starts at zero
  # too, but is a graph filter, not a dense head).
  power_head: Optional[str] = None


def _graph_model(module_cls):
  return lambda num_users, **sizes: module_cls(**sizes)


_unrolled_layers = lambda module: module.num_layers

MODELS = {
    "uwgnn": ModelSpec(_graph_model(uwgnn.UWGNN), uwgnn.from_params, True,
                       False, _unrolled_layers, "f5"),
    "uwmmse": ModelSpec(_graph_model(uwmmse.UWMMSE), uwmmse.from_params,
                        True, False, _unrolled_layers),
    "wcgcn": ModelSpec(_graph_model(wcgcn.wcgcn), wcgcn.from_params, True,
                       False, _unrolled_layers, "update"),
    "igcnet": ModelSpec(_graph_model(wcgcn.igcnet), wcgcn.igcnet_from_params,
                        True, False, _unrolled_layers, "update"),
    # Not unrolled: its filter layers stand in for Tr-WMMSE's iterations.
    "regnn": ModelSpec(_graph_model(regnn.REGNN), regnn.from_params, True,
                       False, _unrolled_layers),
    # Not unrolled; compared with Tr-WMMSE-3 like the graph models.
    "mlp": ModelSpec(lambda num_users, **sizes: mlp.MLP(num_users, **sizes),
                     mlp.from_params, False, True, lambda module: 3),
}


# Models whose layers share one parameter set (depth recorded by a marker).
SHARED_LAYER_MODELS = ("uwgnn", "wcgcn", "igcnet")


def with_depth(params: Params, num_layers: int) -> Params:
  """The same shared-layer weights unrolled `num_layers` times (a model
  trained at one depth, run at another). ValueError for other models."""
  name = model_name(params)
  if name not in SHARED_LAYER_MODELS:
    raise ValueError(f"`params` of {name} do not share one parameter set "
                     f"across layers; only {SHARED_LAYER_MODELS} can be run "
                     "at another depth.")
  if isinstance(num_layers, (bool, np.bool_)) or not isinstance(
      num_layers, (int, np.integer)) or num_layers < 1:
    raise ValueError(f"`num_layers` must be an int >= 1; got {num_layers!r}.")
  tree = {k: v for k, v in params[name].items() if k != layers.DEPTH_MARKER}
  if num_layers != MODELS[name].default_module(2).num_layers:
    tree[layers.DEPTH_MARKER] = jnp.zeros((int(num_layers),), jnp.float32)
  return {name: tree}


def check_model_name(name: str) -> str:
  if name not in MODELS:
    raise ValueError(
        f"Unknown model {name!r}; expected one of {sorted(MODELS)}.")
  return name


def model_name(params: Params) -> str:
  """The model a parameter pytree belongs to (its single top-level key)."""
  if not isinstance(params, Mapping) or len(params) != 1:
    keys = list(params) if isinstance(params, Mapping) else type(params)
    raise ValueError(
        "`params` must be a model's parameter pytree {model_name: ...} with "
        f"model_name in {sorted(MODELS)}; got top-level {keys}.")
  name, = params
  if name not in MODELS:
    raise ValueError(
        f"`params` belong to unknown model {name!r}; expected one of "
        f"{sorted(MODELS)}.")
  return name


def module_for(params: Params) -> nn.Module:
  """The module whose sizes match `params`; ValueError if they lack a leaf
  the sizes are read from."""
  name = model_name(params)
  try:
    return MODELS[name].from_params(params[name])
  except (KeyError, IndexError, AttributeError, TypeError) as e:
    raise ValueError(
        f"`params` are not a complete {name} parameter tree: cannot read its "
        f"sizes ({type(e).__name__}: {e}).") from e


def num_layers(params: Params) -> int:
  """Unrolled layers (WMMSE iterations the model stands for), for Tr-WMMSE."""
  return MODELS[model_name(params)].num_layers(module_for(params))


def example_inputs(name: str, num_users: int) -> tuple:
  """Arguments of the module's __call__ for one network of K = num_users."""
  H = jnp.ones((num_users, num_users))
  if not MODELS[name].is_graph_model:
    return (H,)
  return (graphs.DenseGraph(num_users),
          graphs.node_features(H, jnp.ones(num_users), jnp.ones(num_users)),
          graphs.dense_edge_features(H))


# K of the example network a graph model is initialised and checked on.
_EXAMPLE_USERS = 2


def init(name: str, key: jax.Array, num_users: int = 20, **sizes) -> Params:
  """Fresh parameters {name: ...} for a model (sizes override defaults)."""
  check_model_name(name)
  validation.check_positive_int(num_users, "num_users")
  spec = MODELS[name]
  spec.default_module(num_users, **sizes)  # Unknown sizes raise here.
  hashable = {k: tuple(v) if isinstance(v, list) else v
              for k, v in sizes.items()}  # Static arguments of the jit.
  # A graph model's parameters do not depend on K (test_models checks it):
  # one example size, and so one compiled init, serves every K.
  example_users = num_users if not spec.is_graph_model else _EXAMPLE_USERS
  return {name: _init_params(name, key, example_users, tuple(sorted(
      hashable.items())))}


def with_random_power_head(params: Params, key: jax.Array,
                           scale: float = 1.0) -> Params:
  """params with the power head's output kernel drawn from N(0, scale^2 /
  fan-in) instead of zeros (bias kept at 0): users start at different
  powers around p_max / 2, not all at p_max / 2. On sparse networks the
  uniform start lets training raise every power alike into full power and
  stall there (BUILD_NOTES.md, "The full-power trap"); ValueError for a
  model without such a head (`ModelSpec.power_head`)."""
  name = model_name(params)
  head = MODELS[name].power_head
  if head is None:
    raise ValueError(f"{name!r} has no power head whose start can be drawn "
                     "(ModelSpec.power_head); models with one: " + ", ".join(
                         n for n, spec in MODELS.items() if spec.power_head))
  kernel = params[name][head]["out"]["kernel"]
  drawn = scale * jax.random.normal(key, kernel.shape, kernel.dtype) / (
      jnp.sqrt(jnp.asarray(kernel.shape[0], kernel.dtype)))
  out_layer = dict(params[name][head]["out"], kernel=drawn)
  return {name: dict(params[name], **{head: dict(params[name][head],
                                                 out=out_layer)})}


@functools.partial(jax.jit, static_argnums=(0, 2, 3))
def _init_params(name: str, key: jax.Array, num_users: int, sizes: tuple):
  """One compiled program per model and shape: run eagerly, `Module.init`
  compiles every op of the forward pass on its own (about 3x slower)."""
  module = MODELS[name].default_module(num_users, **dict(sizes))
  return module.init(key, *example_inputs(name, num_users))["params"]


# (name, ((path, (shape, dtype)), ...)) of trees already found valid.
_VALID_SIGNATURES = set()


def _shapes(tree) -> dict:
  return {jax.tree_util.keystr(path): (getattr(leaf, "shape", None),
                                       str(getattr(leaf, "dtype", None)))
          for path, leaf in jax.tree_util.tree_leaves_with_path(tree)}


def check_params(params: Params) -> None:
  """ValueError unless `params` hold every leaf, with the right shape, of
  the model their sizes describe, and nothing else. A tree structure seen
  valid once is remembered, so the check costs microseconds after that."""
  name = model_name(params)
  got = _shapes(params[name])
  signature = (name, tuple(sorted(got.items())))
  if signature in _VALID_SIGNATURES:
    return
  module = module_for(params)
  num_users = (module.num_users if not MODELS[name].is_graph_model
               else _EXAMPLE_USERS)
  expected = jax.eval_shape(
      lambda: module.init(jax.random.PRNGKey(0),
                          *example_inputs(name, num_users))["params"])
  want = _shapes(expected)
  problems = [f"missing {k}" for k in want if k not in got]
  problems += [f"unexpected {k}" for k in got if k not in want]
  problems += [f"{k} has shape {got[k][0]} and dtype {got[k][1]}, expected "
               f"{want[k][0]} and {want[k][1]}"
               for k in want if k in got and got[k] != want[k]]
  if problems:
    raise ValueError(
        f"`params` are not a valid {name} parameter tree ({module}): "
        + "; ".join(problems[:6]) + ("; ..." if len(problems) > 6 else ""))
  _VALID_SIGNATURES.add(signature)


def weight_leaves(params: Params) -> list:
  """Every leaf but the depth marker of a deeper shared-layer model
  (`layers.DEPTH_MARKER`: unused, its shape is a layer count)."""
  return [leaf for path, leaf in jax.tree_util.tree_leaves_with_path(params)
          if getattr(path[-1], "key", None) != layers.DEPTH_MARKER]


def num_params(params: Params) -> int:
  """Trainable scalars (the depth marker is not counted)."""
  return sum(leaf.size for leaf in weight_leaves(params))


def bytes_per_network(params: Params, num_users: int,
                      top_k: Optional[int] = None) -> int:
  """float32 working set of one forward pass: its widest [K, K, F] edge
  tensor (the MLP: its input), or with `top_k` the network's H and its
  widest [K k, F] edge tensor, to size the chunks `allocate` runs."""
  widest = max(x.shape[-1] for x in weight_leaves(params) if x.ndim)
  if not MODELS[model_name(params)].is_graph_model:
    return 4 * num_users * num_users
  if top_k is not None:
    edges = min(top_k, num_users - 1)
    return 4 * num_users * (num_users + edges * (widest + 4))
  return 4 * num_users * num_users * (widest + 4)


def check_num_users(params: Params, num_users: int) -> None:
  """Raises ValueError if a fixed-K model cannot serve K = num_users."""
  name = model_name(params)
  if not MODELS[name].is_graph_model:
    trained = module_for(params).num_users
    if trained != num_users:
      raise ValueError(
          f"`H` has K = {num_users} users but these {name} params were "
          f"built for K = {trained}; the MLP serves only its trained K.")


def apply_canonical(params: Params, H: jax.Array, weights: jax.Array,
                    top_k: Optional[int] = None, mixed_sizes: bool = False,
                    scale=None) -> jax.Array:
  """Powers [K] in [0, 1] for ONE network in canonical units.

  Graph models run on the dense fully connected layout (the fast one), or,
  with `top_k` (static), on the edge list of each receiver's top_k strongest
  interferers, built here (`graphs.top_k_graph`, O(K top_k) memory).
  H [K, K] canonical amplitudes, weights [K]. With `mixed_sizes`, a user of
  weight 0 is absent (a padded batch's filler): it sends no message and
  gets power 0. `scale`: H is canonical once
  multiplied by it (on the top-k path only the kept gains are, so no scaled
  [K, K] copy is made).
  """
  name = model_name(params)
  module = module_for(params)
  variables = {"params": params[name]}
  if top_k is not None and MODELS[name].is_graph_model:
    # A padded user (zero gains) is never among a present receiver's top_k
    # (TrainConfig keeps top_k below every K_n): it sends nothing.
    present = (weights > 0) if mixed_sizes else 1.0
    return present * apply_network(
        params, graphs.top_k_network(H, top_k, scale), weights)
  if scale is not None:
    H = H * scale
  if not MODELS[name].is_graph_model:
    return module.apply(variables, H)
  num_users = H.shape[-1]
  nodes = graphs.node_features(H, weights, jnp.ones_like(weights))
  if mixed_sizes:
    present = weights > 0
    return present * module.apply(
        variables, graphs.DenseGraph(num_users, present), nodes,
        graphs.dense_edge_features(H))
  return module.apply(variables, graphs.DenseGraph(num_users), nodes,
                      graphs.dense_edge_features(H))


def apply_network(params: Params, network: graphs.SparseNetwork,
                  weights: jax.Array) -> jax.Array:
  """Powers [K] in [0, 1] of a graph model on ONE network's edge list
  (`graphs.SparseNetwork` in canonical units), weights [K]."""
  name = model_name(params)
  nodes = graphs.direct_node_features(network.direct, weights,
                                      jnp.ones_like(weights))
  return module_for(params).apply({"params": params[name]}, network.graph,
                                  nodes, network.edges)


def apply_graph(params: Params, graph) -> jax.Array:
  """Powers [N] in [0, 1] on a (batched, padded) jraph.GraphsTuple whose
  features are in canonical units (nodes [N, 3], edges [E, 2])."""
  name = model_name(params)
  if not MODELS[name].is_graph_model:
    raise ValueError(f"Model {name!r} is not a graph model.")
  return module_for(params).apply({"params": params[name]},
                                  graphs.edge_list_graph(graph),
                                  jnp.asarray(graph.nodes),
                                  jnp.asarray(graph.edges))
