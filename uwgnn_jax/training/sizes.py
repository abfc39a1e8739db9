"""Scoring a graph model on networks of other sizes K (UWGNN Fig. 6).

Test sets reuse the training run's test key at each K, so the training K
reproduces the run's own test number. Validation sets use keys no training
or test set uses, so settings chosen on them never look at a test set.
"""

import dataclasses
import json
import time
from typing import Callable, Iterable

import jax

from uwgnn_jax import models
from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import data
from uwgnn_jax.training import train

VALIDATION_KEY = 5000  # Validation set at K: PRNGKey(VALIDATION_KEY + K).


def _scored_set(config: config_lib.TrainConfig, key: jax.Array,
                num_users: int, size: int, num_layers: int) -> tuple:
  sized = dataclasses.replace(config, num_users=num_users, test_size=size)
  dataset = data.make_dataset(key, sized, size)
  return dataset, train.reference_rates(dataset, num_layers,
                                        config.wmmse_iters)


def held_out_sets(config: config_lib.TrainConfig, sizes: Iterable[int],
                  size: int, num_layers: int) -> dict:
  """{K: (dataset, references)} drawn with the run's own test key."""
  key = jax.random.fold_in(jax.random.PRNGKey(config.seed), 2)
  return {k: _scored_set(config, key, k, size, num_layers) for k in sizes}


def validation_sets(config: config_lib.TrainConfig, sizes: Iterable[int],
                    size: int, num_layers: int) -> dict:
  """{K: (dataset, references)} on keys no training or test set uses."""
  return {k: _scored_set(config, jax.random.PRNGKey(VALIDATION_KEY + k), k,
                         size, num_layers) for k in sizes}


def percent_of_wmmse(params, sets: dict) -> dict:
  """{K: % of WMMSE} of params on each set."""
  return {k: train.evaluate(params, dataset, references).percent_of_wmmse
          for k, (dataset, references) in sets.items()}


def train_and_score(config: config_lib.TrainConfig, sets: dict,
                    eval_every: int, emit: Callable[[str], None]):
  """Trains one run from scratch (no workdir) and emits a JSON row of its
  % of WMMSE on `sets` every `eval_every` epochs and at the end. Returns
  the final params."""
  start = time.perf_counter()

  def score(epoch, state, loss):
    if epoch % eval_every and epoch != config.epochs:
      return
    row = dict(model=config.model, seed=config.seed,
               learning_rate=config.learning_rate,
               lr_schedule=config.lr_schedule, epoch=epoch,
               loss=round(loss, 4),
               seconds=round(time.perf_counter() - start, 1))
    for k, percent in percent_of_wmmse(state.params, sets).items():
      row[f"K{k}"] = round(percent, 3)
    emit(json.dumps(row))

  state, _ = train.train_and_evaluate(config, log=lambda line: None,
                                      on_epoch=score)
  return state.params


def num_layers_of(config: config_lib.TrainConfig) -> int:
  """Unrolled layers of the model a config trains."""
  return models.num_layers(
      models.init(config.model, jax.random.PRNGKey(0), config.num_users))
