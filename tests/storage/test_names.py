"""Folder and file names that are safe on Windows, macOS and Linux."""

from __future__ import annotations

import re

import pytest

from auteur.storage.names import NameError_, check_name, safe_file_name, safe_folder_name

#: What Windows refuses in a name, plus what no platform should get from a project name.
FORBIDDEN_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
WINDOWS_RESERVED = (
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)


def assert_portable(name: str, max_bytes: int = 64) -> None:
    """`name` can be created as is on Windows, macOS and Linux."""
    assert name, "empty name"
    assert not FORBIDDEN_CHARS.search(name), name
    assert name not in (".", "..")
    assert not name.startswith("."), "hidden on macOS and Linux"
    assert not name.endswith((".", " ")), "Windows drops trailing dots and spaces"
    # Windows treats NUL.txt and NUL.tar.gz as the device NUL.
    assert name.split(".")[0].upper() not in WINDOWS_RESERVED, name
    assert len(name.encode("utf-8")) <= max_bytes + 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My Film", "My_Film"),
        ("My Film: Part 2", "My_Film_Part_2"),  # ':' is a Windows drive separator
        ("a/b", "a_b"),  # a path separator never makes a subfolder
        ("a\\b", "a_b"),
        ("../escape", "escape"),  # no climbing out of Projects/
        ('What?*<>|"', "What"),
        ("  padded  ", "padded"),
        ("trailing dot.", "trailing_dot"),
        (".hidden", "hidden"),
        ("Café Noir", "Café_Noir"),  # non-ASCII letters are fine everywhere
        ("CON", "CON_"),  # Windows device names
        ("con", "con_"),
        ("nul.txt", "nul_.txt"),  # reserved with an extension too
        ("Aux.tar.gz", "Aux_.tar.gz"),
        ("LPT1 ", "LPT1_"),
        ("COM9", "COM9_"),
        ("CONSOLE", "CONSOLE"),  # only the exact device names are reserved
        ("a\tb", "a_b"),  # control characters are replaced
    ],
)
def test_safe_folder_name(name: str, expected: str):
    assert safe_folder_name(name) == expected
    assert_portable(safe_folder_name(name))


@pytest.mark.parametrize("name", ["..", ".", "///", "   ", "***", "\x00\x01", "._ _."])
def test_names_with_nothing_usable_are_refused(name: str):
    with pytest.raises(NameError_, match="folder name"):
        safe_folder_name(name)


def test_long_names_are_cut_on_a_character_boundary():
    folder = safe_folder_name("é" * 300, max_length=64)
    assert folder == "é" * 32
    assert len(safe_folder_name("x" * 300)) == 64
    assert_portable(safe_folder_name("a " * 200))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.PNG", "photo.png"),
        ("../../etc/passwd", "passwd"),  # only the last path part is kept
        ("C:\\Users\\me\\face.JPG", "face.jpg"),
        ("nul.txt", "nul_.txt"),
        ("con.tar.gz", "con_.tar.gz"),
        ("no extension", "no_extension"),
        (".bashrc", "bashrc"),
        ("weird.ex$t", "weird.ext"),
    ],
)
def test_safe_file_name_keeps_the_extension(name: str, expected: str):
    assert safe_file_name(name) == expected
    assert_portable(safe_file_name(name), max_bytes=120)


def test_safe_file_name_respects_the_length_limit():
    name = safe_file_name("x" * 400 + ".safetensors", max_length=40)
    assert name.endswith(".safetensors") and len(name) <= 40


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("bad\x00name", "control characters"),
        ("line\nbreak", "control characters"),
        ("x" * 300, "300 characters long; the limit is 120"),
    ],
)
def test_check_name_refuses(name: str, message: str):
    with pytest.raises(NameError_, match=message):
        check_name(name, "project name", 120)


def test_check_name_normalises():
    assert check_name("  Cafe\u0301  ", "title", 120) == "Café"  # NFC, trimmed
    with pytest.raises(NameError_, match="must be text"):
        check_name(3, "title", 120)  # type: ignore[arg-type]
