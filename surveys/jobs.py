def tick() -> None:
    pass
