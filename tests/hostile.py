"""Hostile text for property tests: what a public layer, a user's file or a track's name may hold."""

from hypothesis import strategies as st

from sahelrisk.escaping import FORMULA_START

PAYLOADS = ["..", ".", "/", "../../etc/passwd", "..gpx", "...gpx", "C:\\\\x", "$\\cmd$", "[/bold]", "[link=file:///x]",
            "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1", "<script>alert(1)</script>",
            "</script><script>document.title='pwned'</script>", "\" onerror=\"alert(1)", "'; alert(1); '",
            "${alert(1)}", "`x`", "\\", "{{ 7*7 }}", "%(x)s", "a\nb", "Ségou – Mopti", "<!--", "]]>"]

HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(FORMULA_START).flatmap(lambda c: st.text().map(lambda t: c + t)),
    st.sampled_from(PAYLOADS),
)

# A name as a layer or a site list may carry it: printable, not blank (a blank name is a missing one).
HOSTILE_NAME = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    st.sampled_from(FORMULA_START).flatmap(lambda c: st.text(st.characters(blacklist_categories=("Cs", "Cc")),
                                                              max_size=20).map(lambda t: c + t)),
    st.sampled_from(PAYLOADS),
).filter(lambda s: s.strip() != "")
