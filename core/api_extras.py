"""The API's own services beside the collections (DESIGN.md, "Public interface"):

- `POST /api/v1/auth/token/` (user name and password → token; sign-in lockout applies) and
  `DELETE /api/v1/auth/token/` (revoke the caller's token);
- `GET /api/v1/me/`: who is asking, their roles and organisation;
- `GET /api/v1/staff/?role=lawyer`: the staff work may be assigned to, with their work in hand
  (each module's figures, core/workload.py);
- `GET /api/v1/calendar/holidays/?year=` and `GET /api/v1/calendar/deadline/?start=&days=`: the
  legal calendar (core/legal_calendar.py);
- `GET /api/v1/verify/<code>/`: the public document verification in JSON (core/document_views.py).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import legal_calendar, limits, workload
from .document_views import _lookup, _newer_version
from .documents import UnknownDocumentKind, kind_of
from .inputs import DateField
from .models import CalendarDay, Document
from .roles import Role, organisation_of
from .throttling import AnonThrottle, UserThrottle, VerifyThrottle, lockout_response

User = get_user_model()

ROLE_CHOICES = [(code, label) for code, label in Role.LABELS.items()]
# The roles work is assigned to (company contacts and court liaisons are outside users).
STAFF_ROLE_CHOICES = [(code, Role.LABELS[code]) for code in Role.UNION_STAFF]

THROTTLED = OpenApiResponse(
    inline_serializer("ThrottledError", {"code": serializers.CharField(), "detail": serializers.CharField()}),
    description="Too many requests (or, on sign-in, too many failures): wait for `Retry-After` seconds.",
)
FIELD_ERRORS = OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [message, …]}.")
NOT_SIGNED_IN = OpenApiResponse(description="Not signed in (no valid token or session).")


# --------------------------------------------------------------------------------------------------
# Token
# --------------------------------------------------------------------------------------------------


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(label=gettext_lazy("用户名"), max_length=150)
    password = serializers.CharField(label=gettext_lazy("密码"), max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class TokenView(APIView):
    """Obtain an API token with a user name and password, or revoke the one in use."""

    throttle_classes = [AnonThrottle, UserThrottle]

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_authenticators(self):
        # Obtaining needs no credentials of its own (and a browser's session would demand CSRF).
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        summary="Obtain a token", auth=[], request=TokenInputSerializer,
        responses={200: TokenSerializer, 400: FIELD_ERRORS, 429: THROTTLED},
        description="The user's token (the same one until it is revoked). After repeated failures for a "
                    "user name or from an address, every attempt is refused with 429 for a while, the "
                    "right password too (`AXES_FAILURE_LIMIT`, `AXES_COOLOFF_MINUTES`).",
    )
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request=request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request)
        if user is None:
            return Response({"non_field_errors": [_("用户名或密码不正确。")]}, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(summary="Revoke my token", request=None,
                   responses={204: OpenApiResponse(description="Revoked: the token no longer signs anything in."),
                              401: NOT_SIGNED_IN, 429: THROTTLED})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------------------------------
# Me and the staff
# --------------------------------------------------------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


def _roles_of(user) -> list[str]:
    return sorted(g.name for g in user.groups.all() if g.name in Role.LABELS)


def _organisation(user):
    org = organisation_of(user)
    return None if org is None else {"id": org.pk, "name": org.name, "kind": org.kind}


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES))
    organisation = OrganisationRefSerializer(allow_null=True)
    is_superuser = serializers.BooleanField()


class MeView(APIView):
    @extend_schema(summary="Who I am", responses={200: MeSerializer, 401: NOT_SIGNED_IN, 429: THROTTLED},
                   description="The signed-in user: name, roles (role codes) and organisation (their "
                               "union, company or court; null when their profile names none).")
    def get(self, request):
        user = request.user
        return Response(MeSerializer({
            "id": user.pk, "username": user.get_username(), "full_name": user.get_full_name(),
            "email": user.email, "roles": _roles_of(user), "organisation": _organisation(user),
            "is_superuser": user.is_superuser,
        }).data)


class StaffQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=STAFF_ROLE_CHOICES, required=False, allow_blank=True,
                                   help_text="Only staff with this role; without it (or blank), all union staff.")


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES))
    organisation = OrganisationRefSerializer(allow_null=True)
    workload = serializers.DictField(child=serializers.IntegerField(),
                                     help_text="Work in hand, one figure per key (see the operation's description).")
    total = serializers.IntegerField(help_text="The figures added up (those that are part of another left out).")


def _staff_description() -> str:
    rows = "; ".join(f"`{f.key}` ({f.label}, for {', '.join(f.roles)})" for f in workload.figures())
    return ("Active union staff work may be assigned to, optionally of one role, fewest in hand first. "
            "`workload` holds each figure meant for the user's roles (and the asked role): "
            + (rows or "none registered") + ". A conflict of interest depends on the case and is checked "
            "when the assignment is made. Union staff only (403 otherwise).")


class StaffView(APIView):
    @extend_schema(summary="Staff to assign work to", parameters=[StaffQuerySerializer],
                   responses={200: StaffSerializer(many=True), 400: FIELD_ERRORS, 401: NOT_SIGNED_IN,
                              403: OpenApiResponse(description="Not union staff."), 429: THROTTLED},
                   description=_staff_description())
    def get(self, request):
        if not request.user.has_perm("core.view_staff"):
            raise PermissionDenied(_("只有工会工作人员可以查看可指派人员。"))
        query = StaffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        role = query.validated_data.get("role")
        wanted = [role] if role else list(Role.UNION_STAFF)
        users = (User.objects.filter(is_active=True, groups__name__in=wanted).distinct()
                 .select_related("profile__organisation").prefetch_related("groups"))
        users = list(users)
        counts = workload.figures_for(User.objects.filter(pk__in=[u.pk for u in users]), roles=wanted)
        rows = []
        for user in users:
            roles = _roles_of(user)
            mine = {f.key for f in workload.figures(set(roles) & set(wanted))}
            figures = {key: n for key, n in counts[user.pk].items() if key in mine}
            rows.append({
                "id": user.pk, "username": user.get_username(), "full_name": user.get_full_name(),
                "roles": roles, "organisation": _organisation(user), "workload": figures,
                "total": workload.total(figures),
            })
        rows.sort(key=lambda r: (r["total"], r["full_name"] or r["username"], r["id"]))
        return Response(StaffSerializer(rows, many=True).data)


# --------------------------------------------------------------------------------------------------
# The legal calendar
# --------------------------------------------------------------------------------------------------


class HolidaysQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="A calendar year, e.g. 2027.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The bounds move with today (core/limits.py): read when the schema is generated, so the
        # schema says them; validate_year gives the message.
        self.fields["year"].min_value = limits.earliest_date().year
        self.fields["year"].max_value = limits.latest_date().year

    def validate_year(self, year):
        first, last = limits.earliest_date().year, limits.latest_date().year
        if not first <= year <= last:
            raise serializers.ValidationError(_("年份须在 %(first)d 至 %(last)d 之间。") % {"first": first, "last": last})
        return year


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "name"]


class HolidaysSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    provisional = serializers.BooleanField(
        help_text="True when the year has no holiday data yet: deadlines in it count weekends only and may move.")
    days = CalendarDaySerializer(many=True, help_text="Statutory holidays and make-up workdays (is_workday).")


class HolidaysView(APIView):
    @extend_schema(summary="Holidays of a year", parameters=[HolidaysQuerySerializer],
                   responses={200: HolidaysSerializer, 400: FIELD_ERRORS, 401: NOT_SIGNED_IN, 429: THROTTLED},
                   description="The days that break the weekday/weekend pattern in the legal calendar: "
                               "statutory holidays and make-up workdays (调休), as staff keep them.")
    def get(self, request):
        query = HolidaysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        days = CalendarDay.objects.filter(date__year=year).order_by("date")
        return Response(HolidaysSerializer({
            "year": year, "provisional": not legal_calendar.has_data(year), "days": days,
        }).data)


# The longest period the calendar is asked to count (ten years of days).
MAX_PERIOD_DAYS = 3660


class DeadlineQuerySerializer(serializers.Serializer):
    start = DateField(past=False, help_text="The day of the triggering event (the period runs from the next day).")
    days = serializers.IntegerField(min_value=0, max_value=MAX_PERIOD_DAYS, help_text="The period, in calendar days.")


class DeadlineSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The period's last day, rolled past rest days and holidays.")
    provisional = serializers.BooleanField(help_text="True when a year on the way has no holiday data yet.")


class DeadlineView(APIView):
    @extend_schema(summary="A deadline", parameters=[DeadlineQuerySerializer],
                   responses={200: DeadlineSerializer, 400: FIELD_ERRORS, 401: NOT_SIGNED_IN, 429: THROTTLED},
                   description="The last day of a period of `days` calendar days triggered on `start`: a last "
                               "day that is a rest day or statutory holiday moves to the next working day "
                               "(make-up workdays are working days).")
    def get(self, request):
        query = DeadlineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = legal_calendar.deadline(query.validated_data["start"], query.validated_data["days"])
        return Response(DeadlineSerializer({"date": result.date, "provisional": result.provisional}).data)


# --------------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------------


class NewerVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    issued_at = serializers.DateTimeField(allow_null=True)


class VerificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=[Document.Status.READY, Document.Status.PENDING],
                                     help_text="`pending` while the document is still being generated.")
    kind = serializers.CharField()
    title = serializers.CharField()
    number = serializers.CharField()
    issuer = serializers.CharField()
    issued_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    pages = serializers.IntegerField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField(allow_null=True, help_text="Compare with the SHA-256 of the PDF you hold.")
    newer_version = NewerVersionSerializer(allow_null=True, help_text="A later version of the same document, if any.")


class VerifyView(APIView):
    """Public, like the page printed on every document: no parties, no contents."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [AnonThrottle, VerifyThrottle]

    @extend_schema(summary="Verify a document", auth=[],
                   responses={200: VerificationSerializer,
                              404: OpenApiResponse(OpenApiTypes.OBJECT, description="No document has this code."),
                              429: THROTTLED},
                   description="Whether the union issued a document with this verification code: its kind, "
                               "number, issuer, date and SHA-256. Rate-limited per address "
                               "(`WEIQUAN_THROTTLE_VERIFY`, shared with the /verify/ page).")
    def get(self, request, code):
        normalised, document = _lookup(code)
        if document is None:
            raise NotFound(_("未找到核验码为 %(code)s 的文书。") % {"code": normalised or code})
        try:
            title = kind_of(document).title
        except UnknownDocumentKind:
            title = document.title
        ready = document.status == Document.Status.READY
        newer = _newer_version(document)
        return Response(VerificationSerializer({
            "code": normalised, "status": document.status, "kind": document.kind, "title": title,
            "number": document.number, "issuer": document.issuer,
            "issued_at": document.rendered_at or document.created_at, "version": document.version,
            "pages": document.pages if ready else None, "size": document.size if ready else None,
            "sha256": document.sha256 if ready else None,
            "newer_version": None if newer is None else {"version": newer.version, "issued_at": newer.rendered_at},
        }).data)
