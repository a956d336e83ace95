"""A rule's `lang` condition on posts the network sends without a language: detected offline (lingua)."""

from __future__ import annotations

import pickle
from collections.abc import Callable

from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.services.language import LanguageGuesser
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import TextStage, Triager

MakePost = Callable[..., Post]

SPANISH = "mi pedido nunca llegó y nadie me responde desde hace tres días"
FRENCH = "ma commande n'est jamais arrivée et personne ne me répond depuis trois jours"
ENGLISH = "my order never arrived and nobody has answered me for three days"


def triager(*rules: dict[str, object]) -> Triager:
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": list(rules)}), SlaSettings())


def both_paths(t: Triager, post: Post) -> tuple[str, ...]:
    """The tags in-process and through the text stage a worker process runs (a pickled copy)."""
    direct = t.triage(post).tags
    stage = pickle.loads(pickle.dumps(TextStage(t.classifier, t.rules, t.guesser)))
    via_worker = t.triage(post, None, stage.verdict(stage.fields(post))).tags
    assert direct == via_worker
    return direct


def test_a_post_without_a_language_is_detected(make_post: MakePost) -> None:
    t = triager({"name": "spanish", "lang": "es", "tag": "es", "queue": "spanish"})
    assert "es" in both_paths(t, make_post(SPANISH, lang=""))
    assert "es" not in both_paths(t, make_post(ENGLISH, lang=""))
    # A language the detector was not restricted to is not forced into the one the playbook names.
    assert "es" not in both_paths(t, make_post(FRENCH, lang=""))


def test_the_networks_language_wins_and_unsure_guesses_match_nothing(make_post: MakePost) -> None:
    t = triager({"name": "spanish", "lang": "es", "tag": "es"})
    assert "es" not in both_paths(t, make_post(SPANISH, lang="en"))  # the network said English
    assert "es" in both_paths(t, make_post("thanks", lang="es-MX"))
    assert "es" not in both_paths(t, make_post("ok", lang=""))  # too short to tell


def test_the_detector_is_built_only_when_a_post_needs_it(make_post: MakePost) -> None:
    t = triager({"name": "spanish", "lang": "es", "keywords": ["pedido"], "tag": "es"})
    assert t.guesser is not None
    t.triage(make_post(ENGLISH, lang=""))  # the keyword condition fails first: nothing to detect
    t.triage(make_post(SPANISH, lang="es"))  # the network said
    assert not t.guesser.loaded
    assert "es" in t.triage(make_post(SPANISH, lang="")).tags
    assert t.guesser.loaded
    assert triager({"name": "any", "keywords": ["pedido"], "tag": "x"}).guesser is None


def test_the_guesser_knows_the_named_languages_and_a_few_common_ones() -> None:
    guesser = LanguageGuesser(["ja", "pt-br", "tlh"])
    assert {"ja", "pt", "en", "es", "fr", "de"} <= set(guesser.codes)
    assert "tlh" not in guesser.codes  # not a language the detector knows: `playbook check` warns
    assert guesser.guess("注文した商品がまだ届いていません。いつ届きますか？") == "ja"
    assert guesser.guess("") == ""


def test_playbook_check_warns_about_a_language_it_cannot_detect() -> None:
    from socialdesk.services.playbook_check import check_playbook

    report = check_playbook(
        PlaybookFile("pb.toml", {"rule": [{"name": "klingon", "any": [{"lang": "tlh"}], "tag": "k"}]})
    )
    assert report.ok
    assert report.warnings == [
        "pb.toml: rule 'klingon': lang 'tlh' cannot be detected in posts the network sends without a "
        "language, so only posts labelled 'tlh' match"
    ]
