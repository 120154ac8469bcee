"""The permission-aware queryset: the only way views and serializers fetch objects."""

from django.db import models
from django.db.models import Q

from portolan.core.roles import ADD, ALL, NONE, OWN, grant


def owner_or_team_q(user, prefix: str = "") -> Q:
    """Owned by the user or one of their teams, through ``prefix`` (e.g. ``"initiative__"``)."""
    return Q(**{f"{prefix}owner": user}) | Q(**{f"{prefix}team__members": user})


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "RestrictedQuerySet":
        """Objects ``user`` may take ``action`` on (NetBox's pattern)."""
        level = grant(user, action)
        if level == ALL:
            return self
        if level == NONE:
            return self.none()
        assert level == OWN
        return self.filter(self.model.owned_by_q(user)).distinct()


class PortolanModel(models.Model):
    """Base of every portfolio object: timestamps, restricted queryset, audit snapshot."""

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    # Fields left out of audit snapshots (derived or noisy).
    audit_exclude: tuple[str, ...] = ("created", "updated")

    class Meta:
        abstract = True

    @classmethod
    def owned_by_q(cls, user) -> Q:
        """What 'owned by the user or one of their teams' means for this model."""
        return Q(pk__in=[])

    @classmethod
    def user_can_add(cls, user) -> bool:
        """Whether ``user`` may create objects of this model at all.

        An "own" grant only helps on models that define what owning means: a contributor
        may add initiatives (and their children) but not objectives or teams.
        """
        level = grant(user, ADD)
        if level == OWN:
            return cls.owned_by_q.__func__ is not PortolanModel.owned_by_q.__func__
        return level == ALL

    def user_can(self, user, action: str) -> bool:
        level = grant(user, action)
        if level == OWN:
            return type(self).objects.filter(pk=self.pk).filter(self.owned_by_q(user)).exists()
        return level == ALL
