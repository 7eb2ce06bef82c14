"""Verifiers and hooks of the questions family: the quiz and poll verifier, and (by
importing the service) the hook that keeps question rows in step with their rule."""

from loyalty.engine.verify import verifier
from loyalty.questions import service  # noqa: F401  (registers the rule-saved hook)
from loyalty.questions.responses import judge_claim, keep_paid_answer, keep_wrong_answer

verifier("quiz", "poll", refused=keep_wrong_answer, paid=keep_paid_answer)(judge_claim)
