"""The Solara viewer of Opinion Ecology: watch the ecology move, compare strategies side by side.

``app.py`` is the entry ``solara run app.py`` serves; this package is the viewer behind it. It
is a thin layer over :mod:`model`: it builds models, steps them with Step, Play/Pause and
Reset looped as Mesa's :class:`mesa.visualization.solara_viz.ModelController` loops them
(:func:`viewer.panels.Controller`) and draws what :mod:`model.measures` computes. There are
no dynamics here. docs/viewer.md tours the page.

Views (all drawn server-side with matplotlib, so the page needs no JavaScript from a CDN;
altair charts go through solara's vega-lite widget, which asks for ``vega@5`` and similar
unpinned versions that the offline ``solara-assets`` bundle does not hold, so they stay blank
on a closed network):

* the network: a snowball sample of at most :data:`viewer.sample.SAMPLE_SIZE` users of the
  acquaintance layer, laid out once per model, coloured by opinion, trust, valence or
  generation, sized by belonging, with the hops of cascades of the last
  :data:`viewer.sample.CASCADE_WINDOW` steps highlighted;
* time series of reach, secondary share, engagement, stickiness and trust per generation;
* the opinion distribution per generation;
* the cascade-size CCDF on log-log axes;
* a table of the current measures per generation.

The controls are generated from :meth:`model.Params.spec` and the Strategy switches'
metadata (sliders with the documented ranges and a number field, selects for choices,
switches for booleans), grouped as the metadata groups them, with readable labels and the
field's name and doc as tooltip. Changed settings are validated at once and apply on Reset;
a refused value shows an inline message, Reset is refused while it stands, and the current
model stays. Comparison mode runs two models with the same seed and population that differ
only in strategy, stepping in lockstep; the switch compares the running model's settings.
The page also links to the running model, downloads its time series, figures and an
experiment spec, and inspects one user.

Modules, each importing only those listed before it (and :mod:`model`):

* :mod:`viewer.labels`: readable labels and tooltips of the controls;
* :mod:`viewer.arms`: the comparison of two strategies, and building a model from Reset's
  keyword arguments;
* :mod:`viewer.controls`: controls from ``Params.spec()`` and their widgets, labels, number
  fields, the Strategy switches' metadata;
* :mod:`viewer.settings`: the page address (both ways), the typed seed, validation of pending
  settings;
* :mod:`viewer.sample`: the network view's sample of users and its layout;
* :mod:`viewer.axes`: axis limits that move rarely;
* :mod:`viewer.figures`: figures kept between frames, PNG encoding, shared colours;
* :mod:`viewer.network_view`, :mod:`viewer.charts`, :mod:`viewer.table`: the views;
* :mod:`viewer.topics_view`: the Topics and creators card;
* :mod:`viewer.exports`: time series (CSV, Parquet), one user's state, an experiment spec;
* :mod:`viewer.download`, :mod:`viewer.share`, :mod:`viewer.busy`: the download button, the
  share link, the busy indicator;
* :mod:`viewer.render`: every view of a model, cached between frames;
* :mod:`viewer.video`: a view over the run as an animated GIF;
* :mod:`viewer.state_io`: the model state saved to and loaded from a file;
* :mod:`viewer.batch_view`: the page's comparison run as a batch experiment;
* :mod:`viewer.pointer`: clicks and the pointer's position over a view's image;
* :mod:`viewer.panels`: the Step/Play/Reset controller, the link, exports and the inspector;
* :mod:`viewer.page`: the Solara components and the page.

Importing the package imports none of them, so ``import viewer.axes`` stays light.
"""
