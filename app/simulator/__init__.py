"""An embedded ASI:One API simulator: a real loopback HTTP server for tests and demos.

    from app.simulator import Simulator, faults

    with Simulator() as sim:
        sim.add_fault(faults.Status(503, retry_after=1), times=2)
        ...  # point the client at sim.base_url with api key sim.api_key
"""

from . import faults
from .server import MODELS, RecordedRequest, Simulator

__all__ = ["MODELS", "RecordedRequest", "Simulator", "faults"]
