"""Every error Orchestra raises on purpose (all chapters; chapter 07 teaches the taxonomy).

The tree, so you can catch at the right depth::

    OrchestraError
    ├── ConfigError               bad set-up: unknown backend, missing key, bad parameter
    │   └── UnknownParameterError a sweep names a parameter the notebook does not take
    ├── SimulatorError            the offline simulator could not start or was mis-configured
    ├── ServerStartError          a local server a chapter runs (Temporal's) did not come up
    ├── LLMError                  an LLM call failed (after the SDK's own retries)
    │   ├── RetryableLLMError     worth another try later: 429, 529, 500, timeouts
    │   ├── FatalLLMError         retrying cannot help: 400, 401, 404, 413
    │   └── OutputFormatError     the model answered, but not in the asked format
    │       └── UngroundedAnswerError  it cites documents it was not given, or not their words
    ├── DefinitionError           a workflow is built wrong; raised before any step runs
    │   ├── UnknownStepError      a step name that nothing defines
    │   ├── CycleError            steps that depend on each other in a loop
    │   ├── MergeConflictError    parallel steps write one field with no merge rule
    │   └── StateTypeError        a state or step output of the wrong type
    ├── StepError                 a step failed and its policy gave up
    ├── CircuitOpenError          a circuit breaker refused the call (the model keeps failing)
    ├── BudgetExceededError       a cost or token ceiling was crossed
    ├── LoopLimitError            a bounded loop reached max_iterations
    ├── PlanError                 a plan cannot be run as written, or no plan worked (chapter 05)
    │   ├── UnknownToolError      a step names a tool the executor does not have
    │   ├── MissingStepError      something needed or asked for that no step makes
    │   └── StepOrderError        a step needs what only a later step makes
    ├── DecisionMismatchError     a decision answers another question than the one waiting
    └── CheckpointError           the checkpoint store cannot be trusted or used now
        ├── CorruptCheckpointError  a row is not valid JSON for this run
        ├── ForeignCheckpointError  the run id belongs to another workflow
        ├── RunBusyError            another process or task owns the run (its lease is live)
        └── StoreBusyError          the database is locked by another writer; retry shortly

Errors carry context as attributes (``.step``, ``.attempt``, ``.cause``, ...) and their
messages say what to do next. Whether another attempt may help is the error's to say:
``.retryable`` is True for ``RetryableLLMError`` and ``OutputFormatError``, False for the rest
(the engine's ``policies.retryable`` reads it, and has a rule for other libraries' errors).
This module imports nothing of ours, so everything may import it.
"""

from __future__ import annotations

__all__ = [
    "hide_from_learners",
    "OrchestraError",
    "ConfigError",
    "UnknownParameterError",
    "SimulatorError",
    "ServerStartError",
    "LLMError",
    "RetryableLLMError",
    "FatalLLMError",
    "OutputFormatError",
    "UngroundedAnswerError",
    "DefinitionError",
    "UnknownStepError",
    "CycleError",
    "MergeConflictError",
    "StateTypeError",
    "StepError",
    "CircuitOpenError",
    "BudgetExceededError",
    "LoopLimitError",
    "PlanError",
    "UnknownToolError",
    "MissingStepError",
    "StepOrderError",
    "DecisionMismatchError",
    "CheckpointError",
    "CorruptCheckpointError",
    "ForeignCheckpointError",
    "RunBusyError",
    "StoreBusyError",
]


class OrchestraError(Exception):
    """Base of every error Orchestra raises on purpose."""

    retryable: bool = False
    """Whether another attempt may succeed; the engine's retry policy reads it."""


class ConfigError(OrchestraError):
    """The set-up is wrong: an unknown backend or model, a missing key, a bad parameter."""


class UnknownParameterError(ConfigError):
    """A sweep (``orchestra sweep``) names a parameter that the notebook's parameters cell lacks."""

    def __init__(self, message: str, *, name: str, known: list[str]):
        super().__init__(message)
        self.name = name
        """The unknown parameter."""
        self.known = known
        """The parameters the notebook does take."""


class SimulatorError(OrchestraError):
    """The offline simulator could not start, or was given a bad fault plan."""


class ServerStartError(OrchestraError):
    """A local server a chapter starts (the Temporal dev server) exited or did not answer in time."""

    def __init__(self, message: str, *, command: list[str] | None = None, output: str = ""):
        super().__init__(message)
        self.command = command
        self.output = output
        """The end of what the server printed, to see why."""


class LLMError(OrchestraError):
    """An LLM call failed after the SDK's own retries."""

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        status: int | None = None,
        cause: BaseException | None = None,
    ):
        super().__init__(message)
        self.model = model
        self.status = status
        self.cause = cause


class RetryableLLMError(LLMError):
    """The call may succeed later (rate limited, overloaded, server error, timeout)."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        status: int | None = None,
        cause: BaseException | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, model=model, status=status, cause=cause)
        self.retry_after = retry_after
        """Seconds the server asked us to wait (its ``retry-after``), if it said."""


class FatalLLMError(LLMError):
    """The call cannot succeed as sent (bad request, bad key, unknown model, too large)."""


class OutputFormatError(LLMError):
    """The model answered, but the answer does not parse or fit the asked schema; a new sample may."""

    retryable = True


class UngroundedAnswerError(OutputFormatError):
    """The answer parses, but is not grounded in the documents it was given (it cites others,
    or its words are not theirs): chapter 11's validate step."""


class DefinitionError(OrchestraError):
    """A workflow is defined wrong; raised when it is built or started, before any step runs."""


class UnknownStepError(DefinitionError):
    """A step name is used that no step defines."""


class CycleError(DefinitionError):
    """Steps depend on each other in a cycle; use a bounded loop instead."""


class MergeConflictError(DefinitionError):
    """Parallel steps write the same state field and no merge rule says how to combine them."""


class StateTypeError(DefinitionError):
    """A state, input or step output is not of the type the workflow declares."""


class StepError(OrchestraError):
    """A step failed and its failure policy gave up."""

    def __init__(
        self, message: str, *, step: str, attempt: int = 1, cause: BaseException | None = None
    ):
        super().__init__(message)
        self.step = step
        self.attempt = attempt
        self.cause = cause


class CircuitOpenError(OrchestraError):
    """A circuit breaker is open: recent calls failed, so this one was refused without trying."""

    def __init__(self, message: str, *, name: str, retry_in: float):
        super().__init__(message)
        self.name = name
        self.retry_in = retry_in


class BudgetExceededError(OrchestraError):
    """A run crossed its cost or token ceiling."""

    def __init__(self, message: str, *, spent: float, limit: float, unit: str):
        super().__init__(message)
        self.spent = spent
        self.limit = limit
        self.unit = unit


class LoopLimitError(OrchestraError):
    """A bounded loop reached ``max_iterations`` without meeting its condition."""

    def __init__(self, message: str, *, iterations: int):
        super().__init__(message)
        self.iterations = iterations


class PlanError(OrchestraError):
    """A plan cannot be run as written, or re-planning ran out before a plan worked."""

    def __init__(self, message: str, *, step: int | None = None, name: str | None = None):
        super().__init__(message)
        self.step = step
        """The 1-based number of the offending step (None: the plan as a whole)."""
        self.name = name
        """The tool or the value the problem is about."""


class UnknownToolError(PlanError):
    """A step names a tool the executor does not have: the step is impossible as planned."""


class MissingStepError(PlanError):
    """A step needs a value, or the request asks for one, that no step of the plan makes."""


class StepOrderError(PlanError):
    """A step needs a value that only a later step makes."""


class CheckpointError(OrchestraError):
    """The checkpoint store cannot be trusted; nothing was restarted silently."""


class CorruptCheckpointError(CheckpointError):
    """A checkpoint row is not valid JSON, or does not fit the run's state type."""


class ForeignCheckpointError(CheckpointError):
    """The run id belongs to another workflow (or another version of it)."""


class RunBusyError(CheckpointError):
    """Another process or task owns the run (it holds a live lease); nothing was changed."""

    def __init__(self, message: str, *, run_id: str, owner: str, expires_in: float):
        super().__init__(message)
        self.run_id = run_id
        self.owner = owner
        self.expires_in = expires_in
        """Seconds until the owner's lease runs out if it stops renewing it."""


class StoreBusyError(CheckpointError):
    """The checkpoint database is locked by another writer; the data is fine, retry shortly."""

    retryable = True


class DecisionMismatchError(OrchestraError):
    """A decision names a question the run is not waiting on (answered already, or another)."""

    def __init__(self, message: str, *, expected: str | None, got: str | None):
        super().__init__(message)
        self.expected = expected
        self.got = got


def hide_from_learners(excinfo: object = None) -> bool:
    """What the engine's pass-through frames set ``__tracebackhide__`` to.

    IPython leaves out of a traceback every frame whose ``__tracebackhide__`` is truthy (a
    function is), so a learner's traceback goes from their cell to their own code, without the
    workflow, node and retry frames between. pytest calls it instead, and gets False: the kit's
    own tests keep every frame.
    """
    return False
