"""Telephony and routing of one dial attempt, from ring to COMPLETED.

A call is a slotted record moved along by scheduled callbacks, never a SimPy
process. The outcome is drawn once when the call starts ringing:

- live answer and voicemail are answered after the ring-to-answer draw; a
  draw beyond the ring timeout means nobody answered in time (NO_ANSWER);
- no answer rings until the ring timeout; busy and invalid numbers end after
  the busy-signal time.

Answering-machine detection (when on) takes a person for a machine with
probability ``amd.human_as_machine`` (hung up: AMD_HANGUP, a lost live
contact) and lets a machine through as a person with ``machine_as_human``
(it reaches an agent for the voicemail time: MACHINE_CONNECTED).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.domain import DialRequest, EventType, Outcome

if TYPE_CHECKING:
    from sim.engine.agents import Agent
    from sim.engine.campaigns import CampaignRuntime
    from sim.engine.model import Model

# Outcome draws.
LIVE, MACHINE, NO_ANSWER, BUSY, INVALID = range(5)

HUMAN = "HUMAN_ANSWERED"
BEEP = "VOICEMAIL_BEEP"
NOT_APPLICABLE = "AMD_NOT_APPLICABLE"

ENDINGS: dict[str, tuple[str, str]] = {
    # outcome: (disconnect reason, AMD status when AMD is on)
    Outcome.CONNECTED: ("CUSTOMER_DISCONNECT", HUMAN),
    Outcome.MACHINE_CONNECTED: ("AGENT_DISCONNECT", HUMAN),
    Outcome.ABANDONED: ("CUSTOMER_DISCONNECT", HUMAN),
    Outcome.AMD_HANGUP: ("OUTBOUND_ATTEMPT_FAILED", BEEP),
    Outcome.VOICEMAIL: ("OUTBOUND_ATTEMPT_FAILED", BEEP),
    Outcome.DELIVERED: ("CONTACT_FLOW_DISCONNECT", HUMAN),
    Outcome.NO_ANSWER: ("OUTBOUND_ATTEMPT_FAILED", "AMD_UNANSWERED"),
    Outcome.BUSY: ("OUTBOUND_DESTINATION_ENDPOINT_ERROR", "SIT_TONE_BUSY"),
    Outcome.INVALID_NUMBER: ("OUTBOUND_DESTINATION_ENDPOINT_ERROR", "SIT_TONE_INVALID_NUMBER"),
    Outcome.RESOURCE_ERROR: ("OUTBOUND_RESOURCE_ERROR", NOT_APPLICABLE),
    Outcome.DISCARDED: ("OUTBOUND_PREVIEW_DISCARDED", NOT_APPLICABLE),
}
ANSWERED_STATUS = frozenset({HUMAN, BEEP})


class Call:
    """One contact's progress. ``version`` continues the core's INITIATED (1)."""

    __slots__ = (
        "acw",
        "agent",
        "contact_id",
        "human",
        "outcome",
        "rang_at",
        "request",
        "runtime",
        "version",
        "waiting",
    )

    def __init__(
        self, runtime: CampaignRuntime, request: DialRequest, contact_id: str, agent: Agent | None
    ) -> None:
        self.runtime = runtime
        self.request = request
        self.contact_id = contact_id
        self.agent = agent
        self.version = 1
        self.outcome: str | None = None
        self.human = False
        self.waiting = False
        self.acw = 0.0
        self.rang_at = 0.0


class Telephony:
    """Moves calls through ring, answer, routing, talk and after-contact work."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.active = 0

    def _emit(self, call: Call, type_: str, payload: dict[str, Any]) -> None:
        call.version += 1
        model = self.model
        model.emitter.emit(call.contact_id, call.version, type_, model.clock.env.now, payload)

    # -- ring -----------------------------------------------------------------

    def start(
        self, runtime: CampaignRuntime, request: DialRequest, contact_id: str, agent: Agent | None
    ) -> None:
        """BatchPutContact created the contact: record the attempt, then ring.

        In preview mode the reserved agent reviews the contact first, for the
        review time or until the preview timeout, and may discard it.
        """
        model = self.model
        now = model.clock.env.now
        call = Call(runtime, request, contact_id, agent)
        self.active += 1
        request.attempts += 1
        request.version += 1
        waited_from = request.accepted_at if request.attempts == 1 else request.retry_at
        model.emitter.emit(
            request.id,
            request.version,
            EventType.DIAL_REQUEST_DIALED,
            now,
            {
                "campaign_id": runtime.id,
                "contact_id": contact_id,
                "attempt": request.attempts,
                "waited_s": now - waited_from,
            },
        )
        if runtime.preview is not None and agent is not None:
            model.roster.set_state(agent, "RESERVED", contact_id)
            review, discard = runtime.preview.review()
            model.clock.call_in(review, self._reviewed, (call, discard))
            return
        self.ring(call)

    def _reviewed(self, arg: tuple[Call, bool]) -> None:
        call, discard = arg
        if discard:
            self.disconnect(call, Outcome.DISCARDED)
        else:
            self.ring(call)

    def ring(self, call: Call) -> None:
        """Place the call: draw its outcome and schedule what happens."""
        runtime = call.runtime
        request = call.request
        agent = call.agent
        self._emit(call, EventType.RINGING, {"agent_id": agent.id if agent else None})
        call.rang_at = self.model.clock.env.now
        profile = runtime.profile
        ring_timeout = request.ring_timeout or runtime.ring_timeout
        draw = profile.draw_outcome()
        clock = self.model.clock
        if draw <= MACHINE:
            answer_after = profile.ring_to_answer()
            if answer_after < ring_timeout:
                call.human = draw == LIVE
                clock.call_in(answer_after, self._answered, call)
                return
            clock.call_in(ring_timeout, self._unanswered, call)
        elif draw == NO_ANSWER:
            clock.call_in(ring_timeout, self._unanswered, call)
        else:
            outcome = Outcome.BUSY if draw == BUSY else Outcome.INVALID_NUMBER
            call.outcome = outcome
            clock.call_in(profile.busy_signal(), self._failed_signal, call)

    def _unanswered(self, call: Call) -> None:
        if call.runtime.predictive is not None:
            call.runtime.predictive.rang_out(False, None)
        self.disconnect(call, Outcome.NO_ANSWER)

    def _failed_signal(self, call: Call) -> None:
        if call.runtime.predictive is not None:
            call.runtime.predictive.rang_out(False, None)
        self.disconnect(call, call.outcome or Outcome.BUSY)

    # -- answer and routing ---------------------------------------------------

    def _answered(self, call: Call) -> None:
        runtime = call.runtime
        profile = runtime.profile
        amd = runtime.amd_enabled
        detected_machine = (
            amd and (profile.rng.random() < profile.human_as_machine)
            if call.human
            else amd and (profile.rng.random() >= profile.machine_as_human)
        )
        status = (BEEP if detected_machine else HUMAN) if amd else NOT_APPLICABLE
        now = self.model.clock.env.now
        if runtime.predictive is not None:
            runtime.predictive.rang_out(not detected_machine, now - call.rang_at)
        self._emit(call, EventType.CONNECTED_TO_SYSTEM, {"amd_status": status})
        clock = self.model.clock
        if detected_machine:
            if runtime.agentless and not call.human:
                # An agentless campaign leaves its message on the machine.
                call.outcome = Outcome.VOICEMAIL
                clock.call_in(profile.voicemail(), self._end_talk, call)
                return
            self.disconnect(call, Outcome.AMD_HANGUP if call.human else Outcome.VOICEMAIL)
            return
        if runtime.agentless:
            call.outcome = Outcome.DELIVERED if call.human else Outcome.VOICEMAIL
            clock.call_in(profile.voicemail(), self._end_talk, call)
            return
        call.outcome = Outcome.CONNECTED if call.human else Outcome.MACHINE_CONNECTED
        self._emit(call, EventType.QUEUED, {"queue_id": runtime.queue_id})
        if call.agent is not None:
            self.connect(call, call.agent)
        else:
            self.model.route_waiting(call)

    def connect(self, call: Call, agent: Agent) -> None:
        """An agent takes the call: talk until disconnect."""
        call.agent = agent
        call.waiting = False
        runtime = call.runtime
        if agent.owner is None:
            agent.owner = runtime.id
            runtime.held += 1
        if runtime.predictive is not None:
            runtime.predictive.live_result(False, self.model.clock.env.now)
        self._emit(call, EventType.CONNECTED_TO_AGENT, {"agent_id": agent.id})
        self.model.roster.set_state(agent, "ON_CONTACT", call.contact_id)
        profile = call.runtime.profile
        talk = profile.talk() if call.human else profile.voicemail()
        self.model.clock.call_in(talk, self._end_talk, call)

    def _end_talk(self, call: Call) -> None:
        self.disconnect(call, call.outcome or Outcome.CONNECTED)

    # -- disconnect and after-contact work -------------------------------------

    def disconnect(self, call: Call, outcome: str) -> None:
        """The call is over: free its line; its agent goes to ACW or is released."""
        model = self.model
        runtime = call.runtime
        call.outcome = outcome
        reason, amd_status = ENDINGS[outcome]
        if not runtime.amd_enabled and amd_status in ANSWERED_STATUS:
            amd_status = NOT_APPLICABLE
        self._emit(
            call,
            EventType.DISCONNECTED,
            {"disconnect_reason": reason, "amd_status": amd_status, "outcome": outcome},
        )
        runtime.lines -= 1
        model.lines.used -= 1
        agent = call.agent
        talked = agent is not None and agent.state == "ON_CONTACT"
        if talked and agent is not None:
            model.roster.set_state(agent, "AFTER_CONTACT_WORK", call.contact_id)
            call.acw = model.acw_sampler(agent)()
            model.clock.call_in(call.acw, self._complete, call)
        else:
            if agent is not None:
                runtime.held -= 1
                model.roster.release(agent)
            self._emit(call, EventType.COMPLETED, {"after_contact_work_s": 0.0})
            self.active -= 1
            model.attempt_over(call.request, runtime, outcome)
        model.line_freed()

    def _complete(self, call: Call) -> None:
        model = self.model
        agent = call.agent
        if agent is not None:
            call.runtime.held -= 1
            model.roster.release(agent)
        self._emit(call, EventType.COMPLETED, {"after_contact_work_s": call.acw})
        self.active -= 1
        model.attempt_over(call.request, call.runtime, call.outcome or Outcome.CONNECTED)
