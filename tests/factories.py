"""factory_boy factories for the portfolio (test data only; production writes go through services)."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from portolan.core.models import Profile
from portolan.core.roles import Role
from portolan.portfolio import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            self.save()
        if extracted:
            Profile.objects.update_or_create(user=self, defaults={"role": extracted})
            if extracted == Role.ADMIN:
                self.is_superuser = True
                self.save(update_fields=["is_superuser"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Team

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"Team {n}")
    capacity_pd_per_month = Decimal("100")


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Objective

    code = factory.Sequence(lambda n: f"O{n}")
    name = factory.Sequence(lambda n: f"Objective {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Service

    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.Sequence(lambda n: f"Service {n}")


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Initiative

    key = factory.Sequence(lambda n: f"INF-{n:04d}")
    title = factory.Sequence(lambda n: f"Initiative {n}")
    kind = models.Initiative.Kind.PROJECT
    planned_start = dt.date(2027, 1, 1)
    planned_finish = dt.date(2027, 6, 30)


class DependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Dependency

    predecessor = factory.SubFactory(InitiativeFactory)
    successor = factory.SubFactory(InitiativeFactory)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    planned_date = dt.date(2027, 3, 31)
