"""storyline: which news articles, in any language, report the same story."""
