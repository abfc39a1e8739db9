"""uwgnn-jax: WMMSE-unrolled graph neural networks for D2D power allocation.

The public API (docs/DESIGN.md section 5) is re-exported here; `channels` holds the
channel samplers, `graphs` the message-passing layouts.
"""

from uwgnn_jax import cell_grid
from uwgnn_jax import channels
from uwgnn_jax import graphs
from uwgnn_jax import models
from uwgnn_jax.allocation import allocate
from uwgnn_jax.allocation import allocate_network
from uwgnn_jax.models import init as init_params
from uwgnn_jax.models import num_params
from uwgnn_jax.pretrained_params import available as available_pretrained
from uwgnn_jax.pretrained_params import pretrained
from uwgnn_jax.pretrained_params import pretrained_info
from uwgnn_jax.rates import sinr
from uwgnn_jax.rates import sum_rate
from uwgnn_jax.units import snr_db_to_noise_var
from uwgnn_jax.validation import checked
from uwgnn_jax.wmmse_algorithm import network_sum_rate
from uwgnn_jax.wmmse_algorithm import wmmse
from uwgnn_jax.wmmse_algorithm import wmmse_network
from uwgnn_jax.wmmse_algorithm import wmmse_best_of_random_starts
from uwgnn_jax.wmmse_algorithm import wmmse_trace
from uwgnn_jax.wmmse_algorithm import WmmseState

__all__ = [
    "allocate",
    "allocate_network",
    "available_pretrained",
    "cell_grid",
    "channels",
    "checked",
    "graphs",
    "init_params",
    "models",
    "network_sum_rate",
    "num_params",
    "pretrained",
    "pretrained_info",
    "sinr",
    "snr_db_to_noise_var",
    "sum_rate",
    "wmmse",
    "wmmse_best_of_random_starts",
    "wmmse_network",
    "wmmse_trace",
    "WmmseState",
]
