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
(it reaches an agent for the voicemail time: MACHINE_CONNECTED). A live call
with no reserved agent goes to the ``WaitingQueue``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.domain import DialRequest, EventType, Outcome
from sim.domain.events import (
    Completed,
    ConnectedToAgent,
    ConnectedToSystem,
    DialRequestDialed,
    Disconnected,
    Queued,
    Ringing,
)
from sim.engine.agents import ACW, ON_CONTACT, RESERVED, Agent, AgentRoster
from sim.engine.call import Call
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Emitter
from sim.engine.lines import Lines
from sim.engine.profile import BUSY, LIVE, MACHINE, NO_ANSWER
from sim.engine.waiting import WaitingQueue
from sim.scenario.distributions import Sampler

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

AttemptOver = Callable[[DialRequest, CampaignRuntime, str], None]


class Telephony:
    """Moves calls through ring, answer, routing, talk and after-contact work.

    ``attempt_over(request, runtime, outcome)`` is told when a call's contact
    is COMPLETED; ``acw`` draws after-contact work per agent group.
    """

    def __init__(
        self,
        clock: Clock,
        emitter: Emitter,
        lines: Lines,
        roster: AgentRoster,
        acw: Mapping[str, Sampler],
        attempt_over: AttemptOver,
    ) -> None:
        self.clock = clock
        self.emitter = emitter
        self.lines = lines
        self.roster = roster
        self._acw = acw
        self._attempt_over = attempt_over
        self.waiting = WaitingQueue(clock, roster, self.connect, self._abandoned)
        self.active = 0  # calls started and not COMPLETED

    def _emit(self, call: Call, type_: str, payload: Mapping[str, Any]) -> None:
        self.emitter.emit_next(call, call.contact_id, type_, self.clock.now, payload)

    # -- ring -----------------------------------------------------------------

    def start(
        self, runtime: CampaignRuntime, request: DialRequest, contact_id: str, agent: Agent | None
    ) -> None:
        """BatchPutContact created the contact: record the attempt, then ring.

        In preview mode the reserved agent reviews the contact first, for the
        review time or until the preview timeout, and may discard it.
        """
        now = self.clock.now
        call = Call(runtime, request, contact_id, agent)
        self.active += 1
        request.attempts += 1
        waited_from = request.accepted_at if request.attempts == 1 else request.retry_at
        dialed: DialRequestDialed = {
            "campaign_id": runtime.id,
            "contact_id": contact_id,
            "attempt": request.attempts,
            "waited_s": now - waited_from,
        }
        self.emitter.emit_next(request, request.id, EventType.DIAL_REQUEST_DIALED, now, dialed)
        if runtime.preview is not None and agent is not None:
            self.roster.set_state(agent, RESERVED, contact_id)
            review, discard = runtime.preview.review()
            self.clock.call_in(review, self._reviewed, (call, discard))
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
        agent = call.agent
        ringing: Ringing = {"agent_id": agent.id if agent else None}
        self._emit(call, EventType.RINGING, ringing)
        clock = self.clock
        call.rang_at = clock.now
        profile = runtime.profile
        ring_timeout = call.request.ring_timeout or runtime.ring_timeout
        draw = profile.draw_outcome()
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
            call.outcome = Outcome.BUSY if draw == BUSY else Outcome.INVALID_NUMBER
            clock.call_in(profile.busy_signal(), self._failed_signal, call)

    def _unanswered(self, call: Call) -> None:
        feedback = call.runtime.feedback
        if feedback is not None:
            feedback.rang_out(False, None)
        self.disconnect(call, Outcome.NO_ANSWER)

    def _failed_signal(self, call: Call) -> None:
        feedback = call.runtime.feedback
        if feedback is not None:
            feedback.rang_out(False, None)
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
        clock = self.clock
        if runtime.feedback is not None:
            runtime.feedback.rang_out(not detected_machine, clock.now - call.rang_at)
        answered: ConnectedToSystem = {"amd_status": status}
        self._emit(call, EventType.CONNECTED_TO_SYSTEM, answered)
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
        queued: Queued = {"queue_id": runtime.queue_id}
        self._emit(call, EventType.QUEUED, queued)
        if call.agent is not None:
            self.connect(call, call.agent)
        else:
            self.waiting.route(call)

    def connect(self, call: Call, agent: Agent) -> None:
        """An agent takes the call: talk until disconnect."""
        call.agent = agent
        call.waiting = False
        runtime = call.runtime
        self.roster.hold(agent, runtime.share)
        if runtime.feedback is not None:
            runtime.feedback.live_result(False, self.clock.now)
        connected: ConnectedToAgent = {"agent_id": agent.id}
        self._emit(call, EventType.CONNECTED_TO_AGENT, connected)
        self.roster.set_state(agent, ON_CONTACT, call.contact_id)
        profile = runtime.profile
        talk = profile.talk() if call.human else profile.voicemail()
        self.clock.call_in(talk, self._end_talk, call)

    def _abandoned(self, call: Call) -> None:
        """The waiting queue gave up on the call (threshold or patience)."""
        feedback = call.runtime.feedback
        if feedback is not None:
            feedback.live_result(True, self.clock.now)
        self.disconnect(call, Outcome.ABANDONED)

    def _end_talk(self, call: Call) -> None:
        self.disconnect(call, call.outcome or Outcome.CONNECTED)

    # -- disconnect and after-contact work -------------------------------------

    def disconnect(self, call: Call, outcome: str) -> None:
        """The call is over: free its line; its agent goes to ACW or is released."""
        runtime = call.runtime
        call.outcome = outcome
        reason, amd_status = ENDINGS[outcome]
        if not runtime.amd_enabled and amd_status in ANSWERED_STATUS:
            amd_status = NOT_APPLICABLE
        ended: Disconnected = {
            "disconnect_reason": reason,
            "amd_status": amd_status,
            "outcome": outcome,
        }
        self._emit(call, EventType.DISCONNECTED, ended)
        lines = self.lines
        lines.release(runtime.share)
        agent = call.agent
        if agent is not None and agent.state == ON_CONTACT:
            self.roster.set_state(agent, ACW, call.contact_id)
            call.acw = self._acw[agent.group]()
            self.clock.call_in(call.acw, self._complete, call)
        else:
            if agent is not None:
                self.roster.release(agent)
            self._completed(call, 0.0)
        lines.freed()

    def _complete(self, call: Call) -> None:
        agent = call.agent
        if agent is not None:
            self.roster.release(agent)
        self._completed(call, call.acw)

    def _completed(self, call: Call, acw: float) -> None:
        completed: Completed = {"after_contact_work_s": acw}
        self._emit(call, EventType.COMPLETED, completed)
        self.active -= 1
        self._attempt_over(call.request, call.runtime, call.outcome or Outcome.CONNECTED)
