"""A form ticket is spent once, by the user it was shown to, for its purpose and subject, before
it expires; the database never holds its value."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from settings_app.form_tickets import services as form_tickets
from settings_app.models import FormTicket

pytestmark = pytest.mark.django_db

EDIT = form_tickets.Purpose("test_edit", dt.timedelta(minutes=15))
DELETE = form_tickets.Purpose("test_delete", dt.timedelta(minutes=15))
ONE_PER_SUBJECT = form_tickets.Purpose("test_one", dt.timedelta(minutes=15), True)


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob")


def test_a_ticket_is_spent_once(alice: User) -> None:
    value = form_tickets.issue(alice, EDIT, "7")
    assert form_tickets.is_open(value, alice, EDIT, "7")
    assert form_tickets.spend(value, alice, EDIT, "7")
    assert not form_tickets.is_open(value, alice, EDIT, "7")
    assert not form_tickets.spend(value, alice, EDIT, "7")  # a replay


@pytest.mark.parametrize(
    ("user", "purpose", "subject"),
    [("bob", EDIT, "7"), ("alice", DELETE, "7"), ("alice", EDIT, "8"), ("alice", EDIT, "")],
    ids=["wrong user", "wrong purpose", "wrong subject", "no subject"],
)
def test_a_ticket_is_refused_elsewhere_and_stays_open_for_its_own_form(
    alice: User, bob: User, user: str, purpose: form_tickets.Purpose, subject: str
) -> None:
    value = form_tickets.issue(alice, EDIT, "7")
    other = {"alice": alice, "bob": bob}[user]
    assert not form_tickets.is_open(value, other, purpose, subject)
    assert not form_tickets.spend(value, other, purpose, subject)
    assert form_tickets.spend(value, alice, EDIT, "7")


@pytest.mark.parametrize("value", ["", "x", "not-a-ticket-at-all-0123456789"])
def test_a_value_never_issued_is_refused(alice: User, value: str) -> None:
    form_tickets.issue(alice, EDIT)
    assert not form_tickets.is_open(value, alice, EDIT)
    assert not form_tickets.spend(value, alice, EDIT)


def test_a_ticket_expires_after_its_purposes_lifetime(alice: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        value = form_tickets.issue(alice, EDIT)
        late = form_tickets.issue(alice, EDIT)
    with time_machine.travel(start + EDIT.lifetime - dt.timedelta(seconds=1), tick=False):
        assert form_tickets.spend(value, alice, EDIT)
    with time_machine.travel(start + EDIT.lifetime, tick=False):
        assert not form_tickets.is_open(late, alice, EDIT)
        assert not form_tickets.spend(late, alice, EDIT)


def test_the_database_keeps_a_digest_never_the_value(alice: User) -> None:
    value = form_tickets.issue(alice, EDIT, "7")
    row = FormTicket.objects.values().get()
    assert all(value not in str(field) for field in row.values())
    assert len(row["digest"]) == 64
    ticket = FormTicket.objects.get()
    assert value not in repr(ticket) and value not in str(ticket)


def test_tickets_are_fresh_random_values(alice: User) -> None:
    values = {form_tickets.issue(alice, EDIT) for _ in range(20)}
    assert len(values) == 20 and all(len(value) >= 22 for value in values)  # 128 bits


def test_several_forms_of_one_purpose_stay_open_unless_it_allows_one_per_subject(
    alice: User, bob: User
) -> None:
    first, second = form_tickets.issue(alice, EDIT, "7"), form_tickets.issue(alice, EDIT, "7")
    assert form_tickets.is_open(first, alice, EDIT, "7")
    assert form_tickets.is_open(second, alice, EDIT, "7")

    older = form_tickets.issue(alice, ONE_PER_SUBJECT, "7")
    other_subject = form_tickets.issue(alice, ONE_PER_SUBJECT, "8")
    other_user = form_tickets.issue(bob, ONE_PER_SUBJECT, "7")
    newer = form_tickets.issue(alice, ONE_PER_SUBJECT, "7")
    assert not form_tickets.spend(older, alice, ONE_PER_SUBJECT, "7")
    assert form_tickets.spend(newer, alice, ONE_PER_SUBJECT, "7")
    assert form_tickets.spend(other_subject, alice, ONE_PER_SUBJECT, "8")
    assert form_tickets.spend(other_user, bob, ONE_PER_SUBJECT, "7")


def test_issuing_deletes_spent_and_expired_tickets_of_every_user(alice: User, bob: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        spent = form_tickets.issue(bob, EDIT)
        form_tickets.spend(spent, bob, EDIT)
        form_tickets.issue(bob, DELETE)  # expires unspent
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        still_open = form_tickets.issue(bob, EDIT)
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        form_tickets.issue(alice, EDIT)
        left = sorted(FormTicket.objects.values_list("user__username", "purpose"))
        assert left == [("alice", "test_edit"), ("bob", "test_edit")]
        assert form_tickets.spend(still_open, bob, EDIT)


def test_a_deleted_users_tickets_go_with_them(alice: User) -> None:
    form_tickets.issue(alice, EDIT)
    alice.delete()
    assert not FormTicket.objects.exists()


def test_a_subject_longer_than_the_column_is_refused_with_its_limit(alice: User) -> None:
    with pytest.raises(ValueError, match="at most 64 characters"):
        form_tickets.issue(alice, EDIT, "x" * 65)
