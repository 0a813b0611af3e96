"""Leases on a validated campaign and on each of its parts (port): one validate at a time, one worker
per part, and what each part came to.

A lease is a row with an owner and an expiry, taken under its ETag: of two runs that read it free (or
expired), one writes first and the other's write is refused (`connector.errors.Conflict`), so it
sees the winner. Part 0 is the whole campaign (held from validate until its last part is settled);
parts 1..n are the staged `resume.xml` parts. A part's row keeps what it came to (done with its
counts, or failed with the reason), which the campaign's progress and last result are counted from.

The rules (take, extend, give back, settle) are written once here, against the small port below,
so that the Dataverse adapter and the tests' fake behave alike.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from connector.errors import Conflict

CAMPAIGN_PART = 0          # the lease on the whole campaign


class LeaseState(enum.IntEnum):
    FREE = 1        # nobody works on it (given back, or a part waiting in the queue)
    HELD = 2        # its owner works on it until it expires
    DONE = 3        # the part went out (its outcome kept); for part 0: the campaign is sent
    FAILED = 4      # the part kept failing (its reason kept): validate again takes it up


@dataclass(frozen=True)
class LeaseKey:
    campaign_id: str
    ticket: str         # the preparation's ticket: a new preparation starts from fresh leases
    part: int

    @property
    def request_id(self) -> str:
        """The row's alternate key; never one of a provider request's ids (those are the ledger's)."""
        return f"lease-{self.ticket}-p{self.part}"


@dataclass(frozen=True)
class PartOutcome:
    """What a released part came to (the campaign's final summary adds them up)."""
    messages: int = 0
    refused_activities: int = 0
    opted_out: int = 0                     # numbers opted out since the preparation, left out
    opted_out_numbers: tuple[str, ...] = ()   # as many of them as the row can keep


@dataclass(frozen=True)
class Lease:
    key: LeaseKey
    state: LeaseState
    owner: str | None = None
    expires: datetime | None = None
    user_id: str | None = None             # part 0: who validated (a resume queues the parts as them)
    outcome: PartOutcome | None = None     # DONE parts
    reason: str | None = None              # why the part's last attempt failed
    etag: str = "*"
    id: str | None = None

    def live(self, now: datetime) -> bool:
        return self.state == LeaseState.HELD and self.expires is not None and self.expires > now

    def held_by(self, owner: str, now: datetime) -> bool:
        return self.live(now) and self.owner == owner


class Leases(Protocol):
    def read(self, key: LeaseKey) -> Lease | None:
        """The lease row with its ETag, or None when none was ever taken."""
        ...

    def of_campaign(self, campaign_id: str, ticket: str) -> list[Lease]:
        """Every lease row of the campaign's preparation `ticket` (part 0 included)."""
        ...

    def create(self, lease: Lease, *, final: bool = False) -> Lease:
        """Writes a new row; raises Conflict when one already exists for its key (another run won).
        `final`: this holder writes it no more, so its new ETag is not read back (left "*")."""
        ...

    def replace(self, lease: Lease, *, final: bool = False) -> Lease:
        """Writes `lease` over the row if its ETag is still `lease.etag`; raises Conflict otherwise.
        `final`: as for `create`."""
        ...


def take(leases: Leases, key: LeaseKey, owner: str, until: datetime, now: datetime, *,
         user_id: str | None = None) -> Lease:
    """The lease for `owner` until `until` when it is free, expired, failed or already `owner`'s.
    Otherwise (another owner's live lease, a done part) the lease as it is: the caller compares
    `held_by(owner, now)`."""
    return take_new(leases, key, owner, until, user_id=user_id) or take_again(leases, key, owner, until, now,
                                                                               user_id=user_id)


def take_new(leases: Leases, key: LeaseKey, owner: str, until: datetime, *,
             user_id: str | None = None) -> Lease | None:
    """The lease for `owner` when no one ever took it (its row is created now: most leases are new,
    so without a read first); None when its row exists."""
    try:
        return leases.create(Lease(key, LeaseState.HELD, owner, until, user_id))
    except Conflict:
        return None


def take_again(leases: Leases, key: LeaseKey, owner: str, until: datetime, now: datetime, *,
               user_id: str | None = None) -> Lease:
    """`take` of a lease whose row exists (read first)."""
    current = leases.read(key)
    if current is not None and (current.state == LeaseState.DONE or (current.live(now) and current.owner != owner)):
        return current
    try:
        if current is None:
            return leases.create(Lease(key, LeaseState.HELD, owner, until, user_id))
        return leases.replace(replace(current, state=LeaseState.HELD, owner=owner, expires=until,
                                      user_id=user_id or current.user_id))
    except Conflict:            # another run wrote first: theirs
        return leases.read(key) or Lease(key, LeaseState.HELD, "another run", until)


def give_back(leases: Leases, lease: Lease, *, reason: str | None = None) -> None:
    """Frees it (keeping why the attempt failed, when it did) so that the next attempt can take it.
    Best effort: when someone changed it since, theirs stands."""
    try:
        leases.replace(replace(lease, state=LeaseState.FREE, expires=None, reason=reason or lease.reason), final=True)
    except Conflict:
        pass


def settle(leases: Leases, lease: Lease, state: LeaseState, *, outcome: PartOutcome | None = None,
           reason: str | None = None, attempts: int = 3) -> None:
    """Writes what the part (or campaign) came to: DONE with its outcome, or FAILED with the reason;
    re-read and written again when it changed meanwhile (a renewal), a bounded number of times."""
    for _ in range(attempts):
        wanted = replace(lease, state=state, expires=None, outcome=outcome or lease.outcome,
                         reason=reason or lease.reason)
        try:
            leases.create(wanted, final=True) if lease.id is None else leases.replace(wanted, final=True)
            return
        except Conflict:
            current = leases.read(lease.key)
            if current is not None and current.state == LeaseState.DONE:   # done meanwhile: nothing to add
                return
            lease = current or lease
    raise Conflict(f"lease {lease.key.request_id} kept changing")


def extend(leases: Leases, key: LeaseKey, until: datetime, *, current: Lease | None = None) -> None:
    """Pushes a held lease's expiry to `until` (never earlier): the campaign stays in hand while its
    parts are in flight or held in the queue. Best effort: a lease changed meanwhile was renewed.
    `current`: the lease as just read (else read here)."""
    current = current or leases.read(key)
    if current is None or current.state != LeaseState.HELD or (current.expires and current.expires >= until):
        return
    try:
        leases.replace(replace(current, expires=until), final=True)
    except Conflict:
        pass
