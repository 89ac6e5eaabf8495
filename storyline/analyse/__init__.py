"""Analysis: one module per thing storyline reads in an article.

``language`` (languages, sentences, segments), ``embed`` (cross-lingual vectors),
``entities`` and ``names`` (people and organisations across scripts), ``places``
(gazetteer ids), ``dates`` and ``numbers``; ``profile`` runs them all.
"""
