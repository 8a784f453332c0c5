"""The web interface's URL layout: one viewflow `Site`, one `Application` per module (docs/ui.md).

    /                       -> the first application the user may open (the inbox)
    /work/inbox/            我的待办: every module's open tasks for the user (core/workflow.py)
    /work/…                 what modules add to the work bench (casework: 统计, the dashboard)
    /<module>/…             each module's screens
    /accounts/login/ …      sign-in (Django auth, viewflow's Material templates)

A module adds its screens by declaring an `Application` in its own `viewsets.py` and registering it
on this site (config/urls.py finds every `viewsets.py`):

    from core.site import site
    @site.register
    class MediationApplication(Application): ...

and a page of the work bench with `site.work.add(SomeViewset())`.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import AppMenuMixin, Application, Site, Viewset

from . import views


class InboxViewset(AppMenuMixin, Viewset):
    title = _("我的待办")
    icon = Icon("inbox")
    app_name = "inbox"

    index_path = path("", views.InboxView.as_view(), name="index")
    claim_path = path("<int:task_pk>/claim/", views.ClaimView.as_view(), name="claim")
    reassign_path = path("<int:task_pk>/reassign/", views.ReassignView.as_view(), name="reassign")


def object_pages(*, visible, detail_url_name, transition_url_name):
    """The two pages every stateful object has, for a module's Viewset:

        transition_path, documents_path = object_pages(visible=visible_cases, …)

    (`<pk>/transitions/<name>/`: the one transition view; `<pk>/documents/`: ask for a PDF)."""
    return (
        path("<int:pk>/transitions/<slug:name>/", views.TransitionView.as_view(
            visible=visible, detail_url_name=detail_url_name, transition_url_name=transition_url_name),
            name="transition"),
        path("<int:pk>/documents/", views.DocumentRequestView.as_view(visible=visible, detail_url_name=detail_url_name),
             name="documents"),
    )


class _Registry:
    """`register()` for viewflow containers: viewflow's own leaves the menu without the child."""

    def _add(self, child):
        if self._urls_cache is not None:
            raise RuntimeError("registered after the URLs were built: register in the module's viewsets.py")
        self.viewsets.append(child)
        self._children.append(child)


class WorkApplication(_Registry, Application):
    title = _("工作台")
    icon = Icon("work")
    app_name = "work"
    viewsets = [InboxViewset()]

    def add(self, viewset):
        """Add a module's page to the work bench (a Viewset instance)."""
        if not any(type(v) is type(viewset) for v in self.viewsets):
            self._add(viewset)
        return viewset


class WeiquanSite(_Registry, Site):
    title = _("维权工作平台")
    menu_template_name = "ui/site_menu.html"
    primary_color = "#b71c1c"
    secondary_color = "#37474f"

    def register(self, app_class):
        """Add a module's Application (usable as a class decorator)."""
        if not any(type(app) is app_class for app in self.viewsets):
            self._add(app_class())
        return app_class

    @property
    def work(self) -> WorkApplication:
        return next(app for app in self.viewsets if isinstance(app, WorkApplication))


site = WeiquanSite(viewsets=[WorkApplication()])
