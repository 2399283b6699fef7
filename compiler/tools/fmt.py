"""`jobsub fmt`: one layout for every manifest, comments kept.

Two-space mappings, list items indented under their key, long lines folded at 100
columns, and the top-level keys in the order a reader looks for them. ruamel's round-trip
mode keeps comments and the quoting people chose.
"""

from __future__ import annotations

import io

from jobsub.compiler.base.diagnostics import JobsubError, Span

TOP_ORDER = ("version", "name", "defaults", "templates", "categories", "jobs", "serial",
             "parallel", "dag")


def format_manifest(text: str, path: str) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from jobsub.compiler.frontends import yamlsource

    doc = yamlsource.load(text, path, keep_quotes=True)
    if not isinstance(doc, CommentedMap):
        raise JobsubError("a manifest is a mapping at the top", Span(path, 1, 1))
    order = [k for k in TOP_ORDER if k in doc] + [k for k in doc if k not in TOP_ORDER]
    if order != list(doc):
        # Move keys (their comments travel with them: ruamel keeps them per key).
        comments = dict(doc.ca.items)
        values = {k: doc[k] for k in order}
        for k in list(doc):
            del doc[k]
        for k in order:
            doc[k] = values[k]
            if k in comments:
                doc.ca.items[k] = comments[k]
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    yaml.preserve_quotes = True
    out = io.StringIO()
    yaml.dump(doc, out)
    return _without_trailing_blanks(out.getvalue())


def _without_trailing_blanks(text: str) -> str:
    """ruamel leaves a blank where it folds a long flow list; lines end without one unless
    the blank is data (inside a block scalar), which the reloaded document would show."""
    from ruamel.yaml import YAML

    stripped = "".join(line.rstrip() + "\n" for line in text.splitlines())
    if stripped == text:
        return text
    safe = YAML(typ="safe")
    return stripped if safe.load(stripped) == safe.load(text) else text
