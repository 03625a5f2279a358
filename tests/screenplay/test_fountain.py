"""The Fountain parser: every element of the syntax, line numbers and malformed scripts."""

from __future__ import annotations

import pytest

from auteur.model.fountain import ElementType, FountainError, parse_cue, parse_fountain

T = ElementType


def kinds(text: str) -> list[tuple[ElementType, str]]:
    return [(e.type, e.text) for e in parse_fountain(text).elements]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The standard prefixes, followed by a dot or a space.
        ("INT. HOUSE - DAY", [(T.SCENE_HEADING, "INT. HOUSE - DAY")]),
        ("EXT. HOUSE - NIGHT", [(T.SCENE_HEADING, "EXT. HOUSE - NIGHT")]),
        ("EST. CITY - DAWN", [(T.SCENE_HEADING, "EST. CITY - DAWN")]),
        ("INT./EXT. CAR - DAY", [(T.SCENE_HEADING, "INT./EXT. CAR - DAY")]),
        ("INT/EXT CAR - DAY", [(T.SCENE_HEADING, "INT/EXT CAR - DAY")]),
        ("I/E CAR - DAY", [(T.SCENE_HEADING, "I/E CAR - DAY")]),
        ("int house - day", [(T.SCENE_HEADING, "int house - day")]),  # case does not matter
        # Forced with a leading dot; an ellipsis is not a heading.
        (".SNIPER SCOPE POV", [(T.SCENE_HEADING, "SNIPER SCOPE POV")]),
        ("...and then nothing.", [(T.ACTION, "...and then nothing.")]),
        # INTERCOM is not INT.
        ("INTERCOM buzzes.", [(T.ACTION, "INTERCOM buzzes.")]),
        # Transitions: upper case ending in TO:, forced with >, and the usual fades.
        ("CUT TO:", [(T.TRANSITION, "CUT TO:")]),
        ("> Burn to white.", [(T.TRANSITION, "Burn to white.")]),
        ("FADE OUT.", [(T.TRANSITION, "FADE OUT.")]),
        # Centered text.
        ("> THE END <", [(T.CENTERED, "THE END")]),
        # Sections, synopses, lyrics and page breaks.
        ("# ACT ONE", [(T.SECTION, "ACT ONE")]),
        ("= Ava comes home.", [(T.SYNOPSIS, "Ava comes home.")]),
        ("~Row, row, row your boat", [(T.LYRICS, "Row, row, row your boat")]),
        ("===", [(T.PAGE_BREAK, "")]),
        # Action: forced with !, capitals alone on a line, and emphasis kept as written.
        ("!SCREAMING CAPS", [(T.ACTION, "SCREAMING CAPS")]),
        ("BANG!", [(T.ACTION, "BANG!")]),
        ("A *lone* **figure** _waits_.", [(T.ACTION, "A *lone* **figure** _waits_.")]),
    ],
)
def test_single_elements(text: str, expected: list[tuple[ElementType, str]]):
    assert kinds(text) == expected


def test_a_heading_keeps_its_scene_number():
    (element,) = parse_fountain("INT. HOUSE - DAY #12A#").elements
    assert (element.text, element.scene_number) == ("INT. HOUSE - DAY", "12A")


def test_section_levels():
    levels = [e.level for e in parse_fountain("# Act\n\n## Sequence\n\n### Beat").elements]
    assert levels == [1, 2, 3]


def test_dialogue_with_cue_extensions_and_parentheticals():
    script = "AVA (V.O.) (CONT'D)\n(quietly)\nI came back.\n(beat)\nFor you.\n"
    elements = parse_fountain(script).elements
    assert [(e.type, e.text) for e in elements] == [
        (T.CHARACTER, "AVA (V.O.) (CONT'D)"),
        (T.PARENTHETICAL, "(quietly)"),
        (T.DIALOGUE, "I came back."),
        (T.PARENTHETICAL, "(beat)"),
        (T.DIALOGUE, "For you."),
    ]
    assert elements[0].name == "AVA"
    assert elements[0].extensions == ("V.O.", "CONT'D")
    assert [e.line for e in elements] == [1, 2, 3, 4, 5]


def test_dialogue_lines_join_and_two_spaces_keep_an_empty_line():
    elements = parse_fountain("BEN\nFirst line.\n  \nAfter a pause.").elements
    assert elements[1].text == "First line.\n\nAfter a pause."


def test_forced_cue_with_lower_case():
    elements = parse_fountain("@McCLANE\nYippee ki-yay.").elements
    assert (elements[0].type, elements[0].name, elements[0].forced) == (
        T.CHARACTER,
        "McCLANE",
        True,
    )


def test_dual_dialogue_marks_both_cues():
    elements = parse_fountain("AVA\nNow!\n\nBEN ^\nNow!").elements
    cues = [e for e in elements if e.type is T.CHARACTER]
    assert [(c.name, c.dual) for c in cues] == [("AVA", True), ("BEN", True)]


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        ("AVA", ("AVA", (), False, False)),
        ("AVA (O.S.)", ("AVA", ("O.S.",), False, False)),
        ("MOM (on the phone)", ("MOM", ("on the phone",), False, False)),  # extensions any case
        ("BEN ^", ("BEN", (), True, False)),
        ("@Ava", ("Ava", (), False, True)),
        ("Ava", None),  # mixed case without @
        ("123", None),  # needs a letter
        ("CUT TO:", None),
    ],
)
def test_parse_cue(cue: str, expected: object):
    assert parse_cue(cue) == expected


def test_title_page():
    script = (
        "Title:\n\t_**THE KEEPER**_\nCredit: Written by\nAuthor: A. Writer\n"
        "Contact:\n    one@example.com\n    +1 555\n\nINT. HOUSE - DAY\n"
    )
    screenplay = parse_fountain(script)
    assert screenplay.title_page["author"] == "A. Writer"
    assert screenplay.title_page["contact"] == "one@example.com\n+1 555"
    assert screenplay.title == "THE KEEPER"
    assert [e.type for e in screenplay.elements] == [T.SCENE_HEADING]


def test_fade_in_opening_a_script_is_not_a_title_page():
    screenplay = parse_fountain("FADE IN:\n\nINT. HOUSE - DAY")
    assert screenplay.title_page == {}
    assert [e.type for e in screenplay.elements] == [T.TRANSITION, T.SCENE_HEADING]


def test_notes_are_collected_and_leave_the_text():
    script = "Ava waits. [[Shorter?]]\n\n[[A note\nover two lines]]\n\nBEN\n[[inside]]\nHello."
    screenplay = parse_fountain(script)
    assert [(n.text, n.line) for n in screenplay.notes] == [
        ("Shorter?", 1),
        ("A note over two lines", 3),
        ("inside", 7),
    ]
    assert kinds(script) == [(T.ACTION, "Ava waits."), (T.CHARACTER, "BEN"), (T.DIALOGUE, "Hello.")]


def test_an_unclosed_note_is_text():
    assert kinds("Brackets [[ stay\n\nhere") == [(T.ACTION, "Brackets [[ stay"), (T.ACTION, "here")]


def test_boneyard_is_dropped_and_lines_keep_their_numbers():
    script = "INT. A - DAY\n\n/* cut\nINT. B - DAY\n\nGone. */\n\nStays /* not this */ here.\n"
    elements = parse_fountain(script).elements
    assert [(e.type, e.text, e.line) for e in elements] == [
        (T.SCENE_HEADING, "INT. A - DAY", 1),
        (T.ACTION, "Stays  here.", 8),
    ]


def test_unclosed_boneyard_names_its_line():
    with pytest.raises(FountainError, match=r"draft.fountain, line 3: .*never closed"):
        parse_fountain("INT. A - DAY\n\n/* forgotten\n\nINT. B - DAY", "draft.fountain")


def test_binary_content_is_refused():
    with pytest.raises(FountainError, match="not a text file"):
        parse_fountain("PNG\x00\x00data")


def test_windows_line_endings_and_a_byte_order_mark():
    assert kinds("\ufeffINT. HOUSE - DAY\r\n\r\nAva waits.\r\n") == [
        (T.SCENE_HEADING, "INT. HOUSE - DAY"),
        (T.ACTION, "Ava waits."),
    ]


def test_multi_line_action_stays_one_block():
    assert kinds("Line one.\nLine two.\n\nNext block.") == [
        (T.ACTION, "Line one.\nLine two."),
        (T.ACTION, "Next block."),
    ]


def test_empty_script():
    screenplay = parse_fountain("")
    assert screenplay.elements == () and screenplay.title is None
