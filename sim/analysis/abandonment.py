"""The two abandonment views of a contact, as SQL conditions on ``contacts``.

One definition, shared by the run summary and the plots (docs/connect.md,
"Abandonment, two rates"):

- **regulatory** (FTC, Ofcom): every person who answered a call of a
  campaign with agents (``live_person``, the truth AMD guesses at) counts;
  abandoned are those not connected to an agent within the threshold, and
  those AMD took for a machine and hung up on (AMD_HANGUP);
- **Connect-visible** (Connect's outbound campaign metrics): answered contacts
  classified HUMAN_ANSWERED count, or every answered one with AMD off;
  abandoned are those not connected to an agent within the threshold.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from sim.domain import Outcome
from sim.store.schema import contacts

# Statuses under which Connect counts an answered contact as a live customer
# (AMD_DISABLED: the store's mark for a contact whose record has no status).
VISIBLE_STATUSES = ("HUMAN_ANSWERED", "AMD_DISABLED")


class AbandonmentConditions(NamedTuple):
    """Boolean SQL conditions on a ``contacts`` row."""

    live: ColumnElement[bool]  # in the regulatory rate's denominator
    live_abandoned: ColumnElement[bool]  # ... and in its numerator
    visible: ColumnElement[bool]  # in the Connect-visible rate's denominator
    visible_abandoned: ColumnElement[bool]  # ... and in its numerator


def conditions() -> AbandonmentConditions:
    """The four conditions defining both rates."""
    c = contacts.c
    with_agents = c.queue_id.is_not(None)
    live = and_(with_agents, c.live_person.is_(True))
    late = or_(c.abandoned.is_(True), c.outcome == Outcome.AMD_HANGUP.value)
    visible = and_(
        with_agents,
        c.connected_to_system_timestamp.is_not(None),
        c.answering_machine_detection_status.in_(VISIBLE_STATUSES),
    )
    return AbandonmentConditions(
        live=live,
        live_abandoned=and_(live, late),
        visible=visible,
        visible_abandoned=and_(visible, c.abandoned.is_(True)),
    )
