"""Placeholder replaced by the API work."""
from rest_framework import viewsets

from .models import Case, Organisation, Worker


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Organisation.objects.all()


class WorkerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Worker.objects.all()


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Case.objects.all()
