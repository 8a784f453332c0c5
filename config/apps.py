"""The project's own configuration of Django's apps."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class WeiquanStaticFilesConfig(StaticFilesConfig):
    """django.contrib.staticfiles, leaving out what viewflow ships and no page of ours loads.

    - its `node_modules/` copies: its pages use the built files beside them, and one of their
      stylesheets names fonts that are not there, which the hashed storage of production
      (STORAGES) refuses at collectstatic;
    - the Plotly Dash bundles of viewflow.contrib.plotly (20 MB with their source maps), which
      the project does not use: compressing them was most of collectstatic's time.
    """

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "node_modules", "viewflow/js/contrib/dash/*"]
