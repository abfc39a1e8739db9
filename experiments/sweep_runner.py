"""The seed / optimiser sweep's runner: train one config, score it on
validation sets as it trains (`experiments/optimizer_sweep.py` drives it)."""

import json
import time
from typing import Callable

from uwgnn_jax.training import config as config_lib
from uwgnn_jax.training import evaluation
from uwgnn_jax.training import train


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
    for k, percent in evaluation.percent_of_wmmse(state.params, sets).items():
      row[f"K{k}"] = round(percent, 3)
    emit(json.dumps(row))

  state, _ = train.train_and_evaluate(config, log=lambda line: None,
                                      on_epoch=score)
  return state.params
