"""Qt-free engine: data, models, training loop, checkpoints, metrics. Imports torch."""

import os

# How long an idle OpenMP thread spins before it sleeps; must be set before torch loads its
# OpenMP runtime, and a user's own setting wins. A training step is hundreds of small ops: threads
# that sleep between them at once (OMP_WAIT_POLICY=PASSIVE, set here before) made two threads train no
# faster than one (90 vs 84 img/s at 32 px on 2 cores), threads that spin for good starve the GUI
# and the metric thread. A short spin keeps both: 147 img/s on two threads (measured with libgomp,
# torch's OpenMP on Linux; KMP_BLOCKTIME, in ms, is the same knob for Windows' and macOS' runtimes).
os.environ.setdefault("GOMP_SPINCOUNT", "20000")
os.environ.setdefault("KMP_BLOCKTIME", "1")
