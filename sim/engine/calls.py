"""Telephony of one dial attempt, from the dial to COMPLETED.

A call is a slotted record moved along by scheduled callbacks, never a SimPy
process. Its outcome is drawn when it starts ringing:

- a person or a machine answers after the ring-to-answer draw; a draw beyond
  the ring timeout means nobody answered in time (NO_ANSWER);
- no answer rings until the ring timeout; busy and invalid numbers end after
  the busy-signal time.

With answering-machine detection on, an answered call is classified
``amd_delay`` after the answer (``Classifier.classify``): a person the flow
routes to the queue (HUMAN_ANSWERED, or undecided), or a machine it hangs up
on (VOICEMAIL_*, FAX_MACHINE_DETECTED; an agentless campaign leaves its
message, after the beep with awaitAnswerMachinePrompt). With AMD off every
answered call goes to the queue. A call in the queue has a connection
threshold: ``answer + start-point offset + threshold``; if no agent has it by
then it counts as abandoned (``call.abandoned``). Disconnect reasons and AMD
statuses are those of the contact-record data model (docs/connect.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.connect.timezones import local_slot
from sim.domain import EventType, Outcome, WaitingContact
from sim.domain.events import (
    Completed,
    ConnectedToAgent,
    ConnectedToSystem,
    DialRequestDialed,
    Disconnected,
    Queued,
    Ringing,
)
from sim.engine.agents import ACW, ON_CONTACT, Agent, AgentRoster
from sim.engine.call import Call
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Emitter
from sim.engine.lines import Lines
from sim.engine.profile import (
    AMD_DISABLED,
    AMD_NOT_APPLICABLE,
    AMD_UNANSWERED,
    BUSY,
    HUMAN_ANSWERED,
    LIVE,
    MACHINE,
    MACHINE_STATUSES,
    NO_ANSWER,
)
from sim.engine.waiting import WaitingQueue
from sim.scenario.distributions import Sampler

CUSTOMER_DISCONNECT = "CUSTOMER_DISCONNECT"
AGENT_DISCONNECT = "AGENT_DISCONNECT"
CONTACT_FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"
# The dialer cancels an unanswered call at its ring timeout (15-60 s); Connect
# reports 60 s of ringing as a timeout.
TELECOM_ORIGINATOR_CANCEL = "TELECOM_ORIGINATOR_CANCEL"
TELECOM_TIMEOUT = "TELECOM_TIMEOUT"
TELECOM_BUSY = "TELECOM_BUSY"
TELECOM_NUMBER_INVALID = "TELECOM_NUMBER_INVALID"
PREVIEW_DISCARDED = "OUTBOUND_PREVIEW_DISCARDED"
# Who ends a call that reached its end normally: the customer (a person), the
# agent (a machine an agent listened to), the flow (a message played).
_TALK_END: dict[str, str] = {
    Outcome.CONNECTED: CUSTOMER_DISCONNECT,
    Outcome.MACHINE_CONNECTED: AGENT_DISCONNECT,
    Outcome.DELIVERED: CONTACT_FLOW_DISCONNECT,
    Outcome.VOICEMAIL: CONTACT_FLOW_DISCONNECT,
}

# Event types as plain str on the hot path (equal to the members).
_DIAL_REQUEST_DIALED = EventType.DIAL_REQUEST_DIALED.value
_RINGING = EventType.RINGING.value
_CONNECTED_TO_SYSTEM = EventType.CONNECTED_TO_SYSTEM.value
_QUEUED = EventType.QUEUED.value
_CONNECTED_TO_AGENT = EventType.CONNECTED_TO_AGENT.value
_DISCONNECTED = EventType.DISCONNECTED.value
_COMPLETED = EventType.COMPLETED.value

AttemptOver = Callable[[Call], None]


class Telephony:
    """Moves calls through ring, answer, AMD, queue, talk and after-contact work.

    ``attempt_over(call)`` is told when a call's contact is COMPLETED;
    ``acw`` draws after-contact work per agent group.
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
        self.waiting = WaitingQueue(
            clock, roster, self.connect, self._threshold_passed, self._hung_up_in_queue
        )
        self.active = 0  # calls started and not COMPLETED

    def _emit(self, call: Call, type_: str, payload: Mapping[str, Any]) -> None:
        self.emitter.emit_next(call, call.contact_id, type_, self.clock.now, payload)

    # -- dial and ring ----------------------------------------------------------

    def start(
        self, runtime: CampaignRuntime, contact: WaitingContact, agent: Agent | None, attempt: int
    ) -> None:
        """Dial a waiting contact: record the attempt, then ring.

        In preview mode the reserved agent reviews the contact first, for the
        review time or until the preview timeout, and may discard it.
        """
        now = self.clock.now
        call = Call(runtime, contact, agent, attempt)
        self.active += 1
        dialed: DialRequestDialed = {
            "campaign_id": runtime.id,
            "contact_id": contact.contact_id,
            "attempt": attempt,
            "waited_s": now - contact.accepted_at,
        }
        if contact.time_zone is not None:
            dialed["time_zone"] = contact.time_zone
            dialed["window_wait_s"] = contact.window_wait_s
        call.request_version = 2
        self.emitter.emit(contact.request_id, 2, _DIAL_REQUEST_DIALED, now, dialed)
        if runtime.preview is not None and agent is not None:
            review, discard = runtime.preview.review()
            self.clock.call_in(review, self._reviewed, (call, discard))
            return
        self.ring(call)

    def _reviewed(self, arg: tuple[Call, bool]) -> None:
        call, discard = arg
        if discard:
            call.amd_status = AMD_NOT_APPLICABLE if call.amd else AMD_DISABLED
            self.disconnect(call, Outcome.DISCARDED, PREVIEW_DISCARDED)
        else:
            self.ring(call)

    def ring(self, call: Call) -> None:
        """Place the call: draw its outcome and schedule what happens."""
        runtime = call.runtime
        agent = call.agent
        ringing: Ringing = {"agent_id": agent.id if agent else None}
        self._emit(call, _RINGING, ringing)
        clock = self.clock
        call.rang_at = clock.now
        profile = runtime.profile
        ring_timeout = call.contact.ring_timeout or runtime.ring_timeout
        rates = runtime.rates
        if rates is not None and call.contact.time_zone is not None:
            weekday, hour = local_slot(clock.now, call.contact.time_zone.split("|")[0])
            draw = profile.draw_outcome(rates.cumulative(weekday, hour))
            hour_amd = runtime.hour_amd
            if hour_amd and hour in hour_amd:
                call.classifier = hour_amd[hour]
        else:
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
            busy = draw == BUSY
            call.outcome = Outcome.BUSY if busy else Outcome.INVALID_NUMBER
            call.reason = TELECOM_BUSY if busy else TELECOM_NUMBER_INVALID
            call.amd_status = call.classifier.sit_status(busy) if call.amd else AMD_DISABLED
            clock.call_in(profile.busy_signal(), self._failed_signal, call)

    def _unanswered(self, call: Call) -> None:
        feedback = call.runtime.feedback
        if feedback is not None:
            feedback.rang_out(False, None)
        call.amd_status = AMD_UNANSWERED if call.amd else AMD_DISABLED
        ring_timeout = call.contact.ring_timeout or call.runtime.ring_timeout
        reason = TELECOM_TIMEOUT if ring_timeout >= 60.0 else TELECOM_ORIGINATOR_CANCEL
        self.disconnect(call, Outcome.NO_ANSWER, reason)

    def _failed_signal(self, call: Call) -> None:
        feedback = call.runtime.feedback
        if feedback is not None:
            feedback.rang_out(False, None)
        self.disconnect(call, call.outcome or Outcome.BUSY, call.reason)

    # -- answer and classification ----------------------------------------------

    def _answered(self, call: Call) -> None:
        now = self.clock.now
        call.answered_at = now
        media: ConnectedToSystem = {}
        self._emit(call, _CONNECTED_TO_SYSTEM, media)
        if call.amd:
            self.clock.call_in(call.runtime.profile.amd_delay(), self._classified, call)
            return
        call.amd_status = AMD_DISABLED
        call.visible = True  # with AMD off Connect counts every connected call live
        self._person(call)

    def _classified(self, call: Call) -> None:
        runtime = call.runtime
        status = call.classifier.classify(call.human)
        call.amd_status = status
        if status in MACHINE_STATUSES:
            if runtime.feedback is not None:
                runtime.feedback.rang_out(False, self.clock.now - call.rang_at)
            self._machine(call)
            return
        call.visible = status == HUMAN_ANSWERED
        self._person(call)

    def _machine(self, call: Call) -> None:
        """AMD took the call for a machine: the flow hangs up, or (agentless) leaves
        its message, after the beep when the campaign awaits the prompt."""
        runtime = call.runtime
        call.reason = CONTACT_FLOW_DISCONNECT
        if runtime.agentless and not call.human:
            call.outcome = Outcome.VOICEMAIL
            profile = runtime.profile
            wait = call.contact.await_prompt
            if wait is None:
                wait = runtime.await_prompt
            after = (profile.voicemail_prompt() if wait else 0.0) + profile.voicemail()
            self.clock.call_in(after, self._end_talk, call)
            return
        outcome = Outcome.AMD_HANGUP if call.human else Outcome.VOICEMAIL
        self.disconnect(call, outcome, CONTACT_FLOW_DISCONNECT)

    def _person(self, call: Call) -> None:
        """A call the flow treats as a person: the message (agentless) or the queue."""
        runtime = call.runtime
        clock = self.clock
        if runtime.feedback is not None:
            runtime.feedback.rang_out(True, clock.now - call.rang_at)
        profile = runtime.profile
        if runtime.agentless:
            call.outcome = Outcome.DELIVERED if call.human else Outcome.VOICEMAIL
            clock.call_in(profile.voicemail(), self._end_talk, call)
            return
        call.outcome = Outcome.CONNECTED if call.human else Outcome.MACHINE_CONNECTED
        threshold = runtime.config.predictive.connection_threshold
        call.threshold_at = (
            call.answered_at + profile.threshold_offset(runtime.start_point) + threshold
        )
        queued: Queued = {
            "queue_id": runtime.queue_id,
            "amd_status": call.amd_status,
            "threshold_at": call.threshold_at,
        }
        self._emit(call, _QUEUED, queued)
        if call.agent is not None:
            self.connect(call, call.agent)
        else:
            self.waiting.route(call)

    # -- the queue ---------------------------------------------------------------

    def _count_abandoned(self, call: Call) -> None:
        call.abandoned = True
        feedback = call.runtime.feedback
        if feedback is not None and call.visible:
            feedback.live_result(True, self.clock.now)

    def connect(self, call: Call, agent: Agent) -> None:
        """An agent takes the call: talk until disconnect."""
        call.agent = agent
        call.waiting = False
        runtime = call.runtime
        now = self.clock.now
        self.roster.hold(agent, runtime.share)
        if not call.abandoned:
            if now > call.threshold_at:
                self._count_abandoned(call)  # in time for the customer, not the threshold
            elif runtime.feedback is not None and call.visible:
                runtime.feedback.live_result(False, now)
        connected: ConnectedToAgent = {"agent_id": agent.id}
        self._emit(call, _CONNECTED_TO_AGENT, connected)
        self.roster.set_state(agent, ON_CONTACT, call.contact_id)
        profile = runtime.profile
        talk = profile.talk() if call.human else profile.voicemail()
        self.clock.call_in(talk, self._end_talk, call)

    def _threshold_passed(self, call: Call) -> None:
        """No agent by the threshold: counted abandoned; the flow may hang up."""
        self._count_abandoned(call)
        if call.runtime.config.predictive.after_threshold == "hang_up":
            self.waiting.leave(call)
            self.disconnect(call, Outcome.ABANDONED, CONTACT_FLOW_DISCONNECT)

    def _hung_up_in_queue(self, call: Call) -> None:
        if not call.abandoned:
            self._count_abandoned(call)
        self.disconnect(call, Outcome.ABANDONED, CUSTOMER_DISCONNECT)

    def _end_talk(self, call: Call) -> None:
        outcome = call.outcome or Outcome.CONNECTED
        self.disconnect(call, outcome, _TALK_END.get(outcome, CUSTOMER_DISCONNECT))

    # -- disconnect and after-contact work -------------------------------------

    def disconnect(self, call: Call, outcome: str, reason: str) -> None:
        """The call is over: free its line; its agent goes to ACW or is released."""
        runtime = call.runtime
        call.outcome = outcome
        ended: Disconnected = {
            "disconnect_reason": reason,
            "amd_status": call.amd_status,
            "outcome": outcome,
            "live_person": call.human if call.answered_at else None,
        }
        self._emit(call, _DISCONNECTED, ended)
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
        self._emit(call, _COMPLETED, completed)
        self.active -= 1
        self._attempt_over(call)
