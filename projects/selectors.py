"""Reads about projects. Who may see a project is decided here and nowhere else."""

from django.db.models import Q, QuerySet
from django.http import Http404

from profiles.selectors import viewer_actor
from projects.models import Project, Visibility


def visible_projects(viewer=None) -> QuerySet[Project]:
    """Projects `viewer` (a user, possibly anonymous) may see.

    public: everyone; members: signed-in users; private: the project's members only.
    Projects owned by a suspended actor are hidden from everyone.
    """
    projects = Project.objects.filter(owner__suspended=False)
    me = viewer_actor(viewer)
    if me is None:
        return projects.filter(visibility=Visibility.PUBLIC)
    return projects.filter(
        Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS])
        | Q(pk__in=Project.objects.filter(memberships__actor=me).values("pk"))
    )


def project_for_viewer(*, viewer, slug: str, for_update: bool = False) -> Project:
    """The project `slug` if `viewer` may see it; 404 otherwise, hidden or unknown alike."""
    queryset = visible_projects(viewer)
    if for_update:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(slug=slug)
    except Project.DoesNotExist:
        raise Http404 from None
