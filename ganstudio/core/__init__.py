"""Qt-free engine: data, models, training loop, checkpoints, metrics. Imports torch."""

import os

# OpenMP threads that spin while waiting starve everything else on a small machine (the GUI, the
# metric thread, a second process): a tiny step took 0.7 s spinning vs 0.07 s sleeping on 2 busy
# cores. Must be set before torch loads its OpenMP runtime; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
