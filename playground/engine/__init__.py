"""The batched trainer: E models trained at once, and the parts it is made of."""
from playground.engine.engine import Engine, TrainConfig

__all__ = ["Engine", "TrainConfig"]
