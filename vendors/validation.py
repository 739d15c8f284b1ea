"""The one error shape for bad request parameters, shared by the directory, the estimator and the API, and
the plain number they all take."""

# ASCII digits with an optional decimal point: no exponent, sign, digit grouping, or other scripts' digits
# (which Decimal and int would read).
UNGROUPED_NUMBER = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"


class InvalidParameters(ValueError):
    """One or more parameters are invalid; `problems` maps each parameter name to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
