"""The one error shape for bad request parameters, shared by the directory, the estimator and the API."""


class InvalidParameters(ValueError):
    """One or more parameters are invalid; `problems` maps each parameter name to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
