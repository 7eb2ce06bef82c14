"""The rule families: importing this module installs their verifiers, follow-ups, job
handlers and outbox subscribers. The application and the worker import it."""

import loyalty.actions.verifiers
import loyalty.airdrops.verifiers
import loyalty.codes.verifiers
import loyalty.engine.cadence
import loyalty.engine.completions
import loyalty.engine.external
import loyalty.questions.verifiers
import loyalty.referrals.verifiers
import loyalty.streaks.verifiers  # noqa: F401
