"""The README's examples work as written.

- Every ```python block runs, in order, in one namespace, in an empty folder, as a reader
  pasting them one after the other would run them; an error names the README line.
- A ```text block right after a python block shows output: each of its lines is a line that
  the block printed.
- Every ```bash block parses (none is run: some install packages), and each ``glassnet``
  command in one names a real command and only options that command has, with values among
  its choices.
"""

import contextlib
import io
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    """A fenced block: its language (``""`` when none), its text, the line its text starts."""

    language: str
    code: str
    line: int


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks of ``markdown``, in order."""
    return [
        Block(match[1], match[2], markdown.count("\n", 0, match.start(2)) + 1)
        for match in FENCE.finditer(markdown)
    ]


def run_python_blocks(markdown: str, name: str = "README.md") -> dict[int, str]:
    """Run the python blocks in order in one namespace; return what each printed (stdout and
    stderr), by the line it starts at. A failing block raises AssertionError naming its line."""
    namespace: dict = {"__name__": "__readme__"}
    printed = {}
    for block in blocks(markdown):
        if block.language != "python":
            continue
        # Blank lines in front, so that a traceback's line numbers are the README's.
        code = compile("\n" * (block.line - 1) + block.code, name, "exec")
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                exec(code, namespace)
        except Exception as error:
            raise AssertionError(
                f"{name}: the python block at line {block.line} fails: "
                f"{type(error).__name__}: {error}"
            ) from error
        printed[block.line] = output.getvalue()
    return printed


def check_shown_output(markdown: str, printed: dict[int, str], name: str = "README.md") -> int:
    """Check that every line of each text block after a python block was printed by it; return
    how many text blocks were checked."""
    checked, previous = 0, None
    for block in blocks(markdown):
        if block.language == "text" and previous is not None and previous.language == "python":
            lines = {line.rstrip() for line in printed[previous.line].splitlines()}
            for line in block.code.splitlines():
                if line.strip() and line.rstrip() not in lines:
                    raise AssertionError(
                        f"{name}, line {block.line}: {line.strip()!r} is not printed by the "
                        f"python block at line {previous.line}"
                    )
            checked += 1
        previous = block
    return checked


def glassnet_commands(script: str) -> list[list[str]]:
    """The argument lists of the ``glassnet`` (or ``python3 -m glassnet``) commands in a shell
    block; ``[--option]`` placeholders count as the option."""
    commands = []
    for line in script.splitlines():
        for segment in re.split(r"&&|;", line):
            words = shlex.split(segment, comments=True)
            if words[:1] == ["glassnet"]:
                arguments = words[1:]
            elif words[1:3] == ["-m", "glassnet"]:
                arguments = words[3:]
            else:
                continue
            commands.append([word.strip("[]") for word in arguments])
    return commands


def check_command(arguments: list[str]) -> None:
    """Check a glassnet command line against the CLI: the command exists, every option is one
    of its options, and an option with a fixed set of values gets only those (``a|b|c``)."""
    from glassnet.cli import cli

    line = "glassnet " + " ".join(arguments)
    if not arguments:
        return
    command = cli.commands.get(arguments[0])
    assert command is not None, f"{line}: no command {arguments[0]!r}"
    options = {name: param for param in command.params for name in param.opts}
    for position, word in enumerate(arguments[1:], start=1):
        if not word.startswith("-"):
            continue
        option = options.get(word.split("=")[0])
        assert option is not None, f"{line}: {arguments[0]} has no option {word!r}"
        if isinstance(option.type, click.Choice) and position + 1 < len(arguments):
            for value in arguments[position + 1].split("|"):
                assert value in option.type.choices, f"{line}: {value!r} is not a {word} value"


def test_every_python_block_runs_and_prints_what_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    markdown = README.read_text(encoding="utf-8")
    assert sum(block.language == "python" for block in blocks(markdown)) >= 6
    printed = run_python_blocks(markdown)
    assert check_shown_output(markdown, printed) >= 1  # the explain example's trace
    assert list(tmp_path.iterdir()) == []  # the examples write no file


def test_a_broken_block_or_a_wrong_output_fails_and_names_its_line():
    broken = "intro\n\n```python\nx = 1\n```\n\n```python\nprint(x)\nprint(y)\n```\n"
    with pytest.raises(AssertionError, match="line 8 fails: NameError: name 'y' is not defined"):
        run_python_blocks(broken, "broken.md")
    wrong = "```python\nprint('a = 2')\n```\n```text\na = 3\n```\n"
    printed = run_python_blocks(wrong, "wrong.md")
    with pytest.raises(AssertionError, match=r"wrong.md, line 5: 'a = 3' is not printed"):
        check_shown_output(wrong, printed, "wrong.md")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash to parse shell blocks")
def test_every_shell_block_parses():
    shell = [
        block for block in blocks(README.read_text(encoding="utf-8")) if block.language == "bash"
    ]
    assert len(shell) >= 3
    for block in shell:
        result = subprocess.run(
            ["bash", "-n"], input=block.code, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, f"README.md, line {block.line}: {result.stderr}"


def test_the_readmes_glassnet_commands_exist_with_their_options():
    markdown = README.read_text(encoding="utf-8")
    commands = [
        arguments
        for block in blocks(markdown)
        if block.language == "bash"
        for arguments in glassnet_commands(block.code)
    ]
    assert len(commands) >= 8
    for arguments in commands:
        check_command(arguments)


def test_a_command_the_cli_does_not_have_is_caught():
    with pytest.raises(AssertionError, match="no command 'fly'"):
        check_command(["fly"])
    with pytest.raises(AssertionError, match="plot has no option '--colour'"):
        check_command(["plot", "m.st", "--colour", "red"])
    with pytest.raises(AssertionError, match="'pie' is not a --kind value"):
        check_command(["plot", "m.st", "--kind", "loss|pie"])
    assert glassnet_commands("pip install x && python3 -m glassnet demo --out-dir d  # a") == [
        ["demo", "--out-dir", "d"]
    ]
