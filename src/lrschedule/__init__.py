"""lrschedule: learning-rate schedules written once against the Python array API.

Call a schedule with a Python int, a NumPy array, a CuPy array, a torch tensor, a JAX array (also
under ``jax.jit``) or a dask array; the result comes back in that library, on that device.

>>> import lrschedule
>>> schedule = lrschedule.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
>>> float(schedule(2000))
0.09216
"""

from lrschedule._float_float import raw_float32, set_raw_float32
from lrschedule.plotting import plot
from lrschedule.registry import (
    ConfigError,
    deserialize,
    from_json,
    register,
    registered,
    serialize,
    to_json,
)
from lrschedule.schedule import LearningRateSchedule
from lrschedule.schedules.composite import Product, Sequential, Warmup
from lrschedule.schedules.cosine import CosineDecay, CosineDecayRestarts
from lrschedule.schedules.cyclic import Cyclic, OneCycle, OneCycleMomentum
from lrschedule.schedules.exponential import ExponentialDecay, InverseTimeDecay
from lrschedule.schedules.interpolate import PiecewiseInterpolate
from lrschedule.schedules.inverse_sqrt import InverseSqrt
from lrschedule.schedules.linear import Constant, Linear
from lrschedule.schedules.piecewise import PiecewiseConstantDecay
from lrschedule.schedules.polynomial import PolynomialDecay
from lrschedule.schedules.step import MultiStepDecay, StepDecay
from lrschedule.schedules.transformers import get
from lrschedule.schedules.wsd import WarmupStableDecay

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Constant",
    "CosineDecay",
    "CosineDecayRestarts",
    "Cyclic",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "Linear",
    "MultiStepDecay",
    "OneCycle",
    "OneCycleMomentum",
    "PiecewiseConstantDecay",
    "PiecewiseInterpolate",
    "PolynomialDecay",
    "Product",
    "Sequential",
    "StepDecay",
    "Warmup",
    "WarmupStableDecay",
    "__version__",
    "deserialize",
    "from_json",
    "get",
    "plot",
    "raw_float32",
    "register",
    "registered",
    "serialize",
    "set_raw_float32",
    "to_json",
]
