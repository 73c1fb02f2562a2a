"""Hostile and broken input through ``paiban build`` as a user runs it (a subprocess).

Every failure is one line on stderr (``paiban: …``), the documented exit code (1 build
failed, 2 bad input or usage), no traceback, and nothing in ``dist/``: no edition, no
``*.part``.  Every success shows the text as text in both editions: nothing lost,
nothing injected.

Each test runs in a scratch project: ``seeds/`` of its own, ``fonts/`` and ``layouts/``
linked to the real ones, and ``build/fonts`` linked to one font cache for the module, so
that the subsets are cut once.  Builds that several tests read are made once
(module-scoped fixtures); builds that do not depend on each other run side by side.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pdfplumber
import pypdf
import pytest
from fontTools.ttLib import TTFont
from lxml import etree

from pipeline import stages
from pipeline.errors import BuildError
from pipeline.typography import is_han

from .conftest import ROOT, SEED

SLUG = "hengyang-ribao-2022-03-31"  # fixed by the seed's sidecar
XHTML = "{http://www.w3.org/1999/xhtml}"
LINK_SCHEMES = ("http:", "https:", "mailto:")


# --- scratch projects and the CLI ----------------------------------------------------------


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory) -> Path:
    """One font cache (cmaps, hash memo, subsets) for every scratch project of the module."""
    return tmp_path_factory.mktemp("font-cache")


def make_project(folder: Path, font_cache: Path, files: dict[str, bytes | str] | None = None,
                 *, with_seed: bool = False) -> Path:
    """A scratch project in ``folder``: fonts and layouts linked, ``files`` under seeds/."""
    (folder / "seeds").mkdir(parents=True)
    for name in ("fonts", "layouts"):
        (folder / name).symlink_to(ROOT / name)
    (folder / "build").mkdir()
    (folder / "build" / "fonts").symlink_to(font_cache)
    if with_seed:
        shutil.copy(SEED, folder / "seeds" / SEED.name)
        shutil.copy(SEED.with_suffix(".yaml"), folder / "seeds" / SEED.with_suffix(".yaml").name)
    for name, data in (files or {}).items():
        path = folder / "seeds" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    return folder


def paiban(project: Path, *args: str, code: str = "",
           timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m pipeline ARGS`` in ``project``; with ``code``, that Python first
    (to break something in-process), then the CLI's ``main``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if code:
        command = [sys.executable, "-c",
                   f"import sys\n{code}\nfrom pipeline.__main__ import main\n"
                   f"sys.exit(main({list(args)!r}))"]
    else:
        command = [sys.executable, "-m", "pipeline", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Exit ``code``, one line ``paiban: …`` holding ``words``, no traceback; the line."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("paiban: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def leftovers(project: Path) -> list[str]:
    """Whatever a build left in dist/, and any *.part in the project's own folders."""
    found = [p.name for p in (project / "dist").iterdir()] if (project / "dist").exists() else []
    found += [p.name for folder in (project / "seeds", project / "build")
              for p in folder.glob("**/*.part")]
    return sorted(found)


def assert_nothing_written(project: Path) -> None:
    assert leftovers(project) == []


# --- reading the editions -------------------------------------------------------------------


def epub_documents(path: Path) -> dict[str, etree._Element]:
    """Every XHTML document of the book, parsed as XML (a parse error fails the test)."""
    with zipfile.ZipFile(path) as book:
        return {name: etree.fromstring(book.read(name)) for name in sorted(book.namelist())
                if name.endswith(".xhtml")}


def article_documents(path: Path) -> list[etree._Element]:
    return [doc for name, doc in epub_documents(path).items() if "/text/" in name]


def epub_text(path: Path) -> str:
    """The text of the article documents' bodies, in reading order."""
    return "".join("".join(doc.find(f"{XHTML}body").itertext()) for doc in article_documents(path))


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def squeeze(text: str) -> str:
    """``text`` without whitespace: a text layer's line breaks and gaps fall anywhere."""
    return "".join(text.split())


def pdf_uris(path: Path) -> list[str]:
    """The URI of every link annotation; fails on any other kind of action."""
    uris = []
    for page in pypdf.PdfReader(path).pages:
        for annotation in page.get("/Annots") or ():
            action = annotation.get_object().get("/A")
            if action is None:
                continue  # an internal link: /Dest
            action = action.get_object()
            assert action["/S"] == "/URI", action
            uris.append(str(action["/URI"]))
    return uris


def pdf_images(path: Path) -> int:
    """How many distinct image XObjects the pages draw (directly or inside forms)."""
    found: set[int] = set()

    def collect(resources) -> None:
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.add(ref.idnum)
            elif "/Resources" in xobject:
                collect(xobject["/Resources"].get_object())

    for page in pypdf.PdfReader(path).pages:
        collect(page["/Resources"])
    return len(found)


def _to_unicode(cmap: str) -> dict[int, str]:
    """Glyph id -> text of a ToUnicode CMap (bfchar and bfrange entries)."""
    out = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for gid, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(gid, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, text in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            base = bytes.fromhex(text).decode("utf-16-be")
            for offset, gid in enumerate(range(int(first, 16), int(last, 16) + 1)):
                out[gid] = base[:-1] + chr(ord(base[-1]) + offset)
    return out


def drawn_characters(path: Path) -> dict[str, set[str]]:
    """Character -> the embedded fonts that draw it: the font's ToUnicode maps a glyph
    to the character, the embedded program's own cmap maps the character to that glyph,
    and the glyph has an outline (not an empty or .notdef box)."""
    found: dict[str, set[str]] = {}
    fonts = {}
    for page in pypdf.PdfReader(path).pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    for name, font in fonts.items():
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
        program = TTFont(io.BytesIO(stream.get_object().get_data()))
        order, cmap = program.getGlyphOrder(), program.getBestCmap()
        if "CFF " in program:
            strings = program["CFF "].cff.topDictIndex[0].CharStrings
            def has_outline(glyph: str) -> bool:
                return strings[glyph].calcBounds(strings) is not None
        else:
            glyf = program["glyf"]
            def has_outline(glyph: str) -> bool:
                return glyf[glyph].numberOfContours != 0
        tounicode = _to_unicode(font["/ToUnicode"].get_object().get_data().decode("latin-1"))
        for gid, text in tounicode.items():
            if (len(text) == 1 and 0 < gid < len(order) and cmap.get(ord(text)) == order[gid]
                    and has_outline(order[gid])):
                found.setdefault(text, set()).add(name)
    return found


def epub_font_cmaps(path: Path) -> dict[str, set[int]]:
    with zipfile.ZipFile(path) as book:
        return {name: set(TTFont(io.BytesIO(book.read(name))).getBestCmap())
                for name in book.namelist() if name.endswith((".otf", ".ttf"))}


# --- text that is not text -----------------------------------------------------------------


@pytest.mark.parametrize("name, data, words", [
    ("empty.txt", b"", ["empty.txt", "the file is empty"]),
    ("blank.txt", b"\n \n\t\n\xe3\x80\x80\n", ["blank.txt", "only blank lines"]),
    ("tabs.txt", b"\t\t\n\t\n", ["tabs.txt", "only blank lines"]),
    ("binary.txt", bytes(range(256)) * 8, ["binary.txt", "binary"]),
    ("png.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), ["png.txt", "binary"]),
    ("latin1.txt", "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve".encode("latin-1"),
     ["latin1.txt", "not UTF-8", "convert it to UTF-8"]),
    ("bad-utf16.txt", codecs.BOM_UTF16_LE + b"\x00\xd8A\x00", ["bad-utf16.txt", "utf-16"]),
    ("controls.txt", b"\x1b[1m\x07\xe2\x80\x8b\n", ["controls.txt", "no text is left"]),
])
def test_unreadable_text_build_exit_2(tmp_path, font_cache, name, data, words):
    project = make_project(tmp_path, font_cache, {name: data})
    assert_clean_failure(paiban(project, "build", f"seeds/{name}"), 2, *words)
    assert_nothing_written(project)


def test_missing_seed_build_exit_2(tmp_path, font_cache):
    project = make_project(tmp_path, font_cache)
    assert_clean_failure(paiban(project, "build", "seeds/nope.txt"), 2, "nope.txt", "no such file")
    assert_nothing_written(project)


@pytest.mark.parametrize("args", [["build"], ["build", "--format", "docx", "seeds/x.txt"]])
def test_usage_errors_build_exit_2(tmp_path, font_cache, args):
    project = make_project(tmp_path, font_cache, {"x.txt": "标题\n\n正文。\n"})
    result = paiban(project, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert_nothing_written(project)


# --- encodings and newlines: the same editions, byte for byte ------------------------------

# Each variant pairs an encoding with a newline style: every encoding and every
# newline style is covered, in three builds besides the reference.
ENCODINGS = {
    "gb18030-cr": lambda text: text.replace("\n", "\r").encode("gb18030"),
    "utf-8-bom-crlf": lambda text: codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8"),
    "utf-16-le-bom-crlf": lambda text: codecs.BOM_UTF16_LE + text.replace(
        "\n", "\r\n").encode("utf-16-le"),
}


@pytest.fixture(scope="module")
def encoded_builds(tmp_path_factory, font_cache) -> dict[str, tuple[int, str, Path]]:
    """The seed built as UTF-8 (the reference) and in every other encoding, each in its
    own project with the same sidecar, side by side: name -> (exit code, stderr, dist)."""
    text = SEED.read_text(encoding="utf-8")
    variants = {"utf-8": text.encode("utf-8")} | {
        name: encode(text) for name, encode in ENCODINGS.items()}
    projects = {}
    for name, data in variants.items():
        project = make_project(tmp_path_factory.mktemp(name), font_cache, with_seed=True)
        (project / "seeds" / SEED.name).write_bytes(data)
        projects[name] = project
    # The reference first: it fills the font cache the others then share.
    reference = paiban(projects["utf-8"], "build", "seeds/" + SEED.name)
    results = {"utf-8": (reference.returncode, reference.stderr, projects["utf-8"] / "dist")}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = {name: pool.submit(paiban, project, "build", "seeds/" + SEED.name)
                for name, project in projects.items() if name != "utf-8"}
        for name, run in runs.items():
            result = run.result()
            results[name] = (result.returncode, result.stderr, projects[name] / "dist")
    return results


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_encodings_and_newlines_build_identical_editions(encoded_builds, encoding):
    code, stderr, dist = encoded_builds[encoding]
    ref_code, ref_stderr, reference = encoded_builds["utf-8"]
    assert ref_code == 0, ref_stderr
    assert code == 0, stderr
    assert sorted(p.name for p in dist.iterdir()) == [f"{SLUG}.epub", f"{SLUG}.pdf"]
    for suffix in ("pdf", "epub"):
        assert (dist / f"{SLUG}.{suffix}").read_bytes() == (
            reference / f"{SLUG}.{suffix}").read_bytes(), f"the {suffix} differs"


# --- one hostile day: controls, markup, links, rare characters, a ragged table ----------

HOSTILE = "\n".join([  # the diagnostics below name these lines
    "𠮷字与控制符测试",  # line 1
    "",
    "本报讯（记者 𠮷㐀）正文\x1b[31m红色\x1b[0m，铃声\x07响起。零宽\u200b空格、"
    "\u200d连接、\ufeff字节序、\u202e反向\u202c都删去。",  # line 3
    "",
    "标签<script>alert(1)</script>不执行。",  # line 5
    "",
    "粗体<b>不加粗</b>，实体&amp;与&lt;照原样，结束]]>也照原样。",  # line 7
    "",
    "引号\"双引号\"和'单引号'都照原样。",  # line 9
    "",
    "链接<javascript:alert(1)>不是链接，javascript:alert(2)也不是，<ftp://example.com/f>"
    "也不是，<file:///etc/passwd>也不是，data:text/html,x也不是。",  # line 11
    "",
    "只有<http://example.com/a?b=1&c=2>、https://example.org/x和mailto:desk@example.com是链接。",
    "",
    "罕用字𠮷、𡃁、𬌗、㐀、䶵、龘、齉、鱻照常排印。",  # line 15
    "",
    "名单公示",  # line 17
    "",
    "姓名\t性别\t民族",  # line 19
    "张三\t男",
    "李四\t女\t汉\t备注\t多余",
    "\t\t",
    "王五\t男\t汉",  # line 23
    "",
    "\t",
    "",
    "以上名单如有异议，请来电反映。",  # line 27
    "",
    f"超长词见http://example.com/{'abcdefghij' * 30}。又有{'x' * 400}。",  # line 29
    "",
    "—" * 120,  # line 31: a rule drawn with dashes
    "",
    f"长格\t说明\n张三\t{'y' * 300}\n李四\t短",  # lines 33-35
    "",
])
CONTROLS = ("\x1b", "\x07", "\u200b", "\u200d", "\ufeff", "\u202e", "\u202c", "[31m", "[0m")
RARE = "𠮷𡃁𬌗㐀䶵龘齉鱻"
MARKUP = ("<script>alert(1)</script>", "<b>不加粗</b>", "&amp;", "&lt;", "]]>",
          "\"双引号\"", "'单引号'")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, font_cache) -> dict[str, object]:
    """The hostile day, explained and built once: stderr of ``model --explain``, the model
    YAML, and the editions."""
    project = make_project(tmp_path_factory.mktemp("hostile"), font_cache, {"h.txt": HOSTILE})
    explained = paiban(project, "model", "--explain", "seeds/h.txt")
    built = paiban(project, "build", "seeds/h.txt")
    assert explained.returncode == 0, explained.stderr
    assert built.returncode == 0, built.stderr
    return {"explain": explained.stderr, "project": project,
            "model": (project / "build" / "h.yaml").read_text(encoding="utf-8"),
            "pdf": project / "dist" / "h.pdf", "epub": project / "dist" / "h.epub"}


def test_control_and_zero_width_characters_removed_and_reported(hostile):
    explain = hostile["explain"]
    assert re.search(r"seeds/h\.txt:3: P001 repair: removed 3 control character\(s\): "
                     r"U\+0007 U\+001B, and the rest of 2 escape sequence\(s\): \[31m \[0m",
                     explain)
    assert re.search(r"seeds/h\.txt:3: P002 repair: removed 5 zero-width character\(s\): "
                     r"U\+200B U\+200D U\+202C U\+202E U\+FEFF", explain)
    shown = {"model": hostile["model"], "pdf": pdf_text(hostile["pdf"]),
             "epub": epub_text(hostile["epub"])}
    for edition, text in shown.items():
        assert not [c for c in CONTROLS if c in text], edition
        assert "正文红色，铃声响起。零宽空格、连接、字节序、反向都删去。" in squeeze(text), edition


def test_markup_like_text_is_shown_literally(hostile):
    pdf, book = squeeze(pdf_text(hostile["pdf"])), epub_text(hostile["epub"])
    for snippet in MARKUP:
        assert squeeze(snippet) in pdf, snippet
        assert snippet in book, snippet
    for document in article_documents(hostile["epub"]):
        tags = {etree.QName(element).localname for element in document.iter(etree.Element)}
        assert not tags & {"script", "b", "iframe", "object", "embed"}
        assert not [key for element in document.iter(etree.Element) for key in element.attrib
                    if key.lower().startswith("on")]
    raw = hostile["pdf"].read_bytes()
    assert b"/JavaScript" not in raw and b"/JS " not in raw and b"/Launch" not in raw


def test_only_http_https_and_mailto_become_links(hostile):
    hrefs = [a.get("href") for doc in article_documents(hostile["epub"])
             for a in doc.iter(f"{XHTML}a")]
    expected = ["http://example.com/a?b=1&c=2", "https://example.org/x", "mailto:desk@example.com",
                f"http://example.com/{'abcdefghij' * 30}"]
    assert hrefs == expected
    assert set(pdf_uris(hostile["pdf"])) == set(expected)  # a link broken across lines: one each
    # The other schemes are text, brackets and all.
    text, book = squeeze(pdf_text(hostile["pdf"])), epub_text(hostile["epub"])
    for literal in ("<javascript:alert(1)>", "javascript:alert(2)", "<ftp://example.com/f>",
                    "<file:///etc/passwd>", "data:text/html,x"):
        assert literal in book and literal in text, literal
    # No document of the book links or loads anything by another scheme.
    for name, document in epub_documents(hostile["epub"]).items():
        for element in document.iter(etree.Element):
            for key in ("href", "src", "{http://www.w3.org/1999/xlink}href"):
                value = element.get(key) or ""
                if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
                    assert value.startswith(LINK_SCHEMES), (name, value)


def test_supplementary_and_rare_han_are_drawn_by_a_bundled_face(hostile):
    drawn = drawn_characters(hostile["pdf"])
    for char in RARE:
        assert drawn.get(char), f"{char} U+{ord(char):04X} has no outline in the PDF's fonts"
    # 𠮷 is in the headline (Hei), the byline (Kai) and the body (Song): three faces.
    assert {name.split("+")[1] for name in drawn["𠮷"]} >= {
        "Paiban-Sans-Bold", "Paiban-Kai", "Paiban-Serif"}
    # 㐀 is not in Kai: the byline's stack falls back to Song, never to a system font.
    assert all("Paiban" in name for char in RARE for name in drawn[char])
    text = pdf_text(hostile["pdf"])
    assert all(char in text for char in RARE)
    book_text = epub_text(hostile["epub"])
    assert all(char in book_text for char in RARE)
    cmaps = epub_font_cmaps(hostile["epub"])
    song = next(cmap for name, cmap in cmaps.items() if name.endswith("NotoSerifSC-Regular.otf"))
    assert {ord(char) for char in RARE} <= song


def test_uncovered_character_build_exit_1(tmp_path, font_cache):
    text = "标题\n\n第一段。\n\n罕见字\U0002A6D6在此，又见\U0002A6D6。\n"
    project = make_project(tmp_path, font_cache, {"rare.txt": text})
    assert_clean_failure(paiban(project, "build", "seeds/rare.txt"), 1, "rare.txt",
                         "\U0002A6D6", "U+2A6D6", "line 5", "no bundled font")
    assert_nothing_written(project)


def test_ragged_table_and_tab_only_lines_build(hostile):
    explain = hostile["explain"]
    assert "seeds/h.txt:20: P130 repair: table row has 2 cells, header 3; padded" in explain
    assert "seeds/h.txt:21: P131 doubt: table row has 5 cells, header 3; last 3 joined" in explain
    tables = [table for doc in article_documents(hostile["epub"])
              for table in doc.iter(f"{XHTML}table")]
    rows = [["".join(cell.itertext()) for cell in row] for table in tables
            for row in table.iter(f"{XHTML}tr")]
    assert ["张三", "男", ""] in rows and ["李四", "女", "汉 备注 多余"] in rows
    assert ["王五", "男", "汉"] in rows
    pdf = squeeze(pdf_text(hostile["pdf"]))
    assert "以上名单如有异议，请来电反映。" in pdf and "汉备注多余" in pdf


def test_every_han_character_of_the_model_reaches_both_editions(hostile):
    model = Counter(ch for ch in hostile["model"] if is_han(ch))
    book = Counter(ch for ch in epub_text(hostile["epub"]) if is_han(ch))
    pdf = Counter(ch for ch in pdf_text(hostile["pdf"]) if is_han(ch))
    # The model's YAML spells each character once; the PDF repeats titles (contents,
    # running heads) and the book its titles: at least as many, never fewer.
    assert not model - book and not model - pdf


# --- too long: a clear error, never a hang --------------------------------------------------


def news_text(count: int) -> str:
    """``count`` characters of news text (the seed's paragraphs, repeated), ending in 。;
    without the seed's bracketed URLs, whose brackets the normalizer removes (P110)."""
    paragraphs = "".join(line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()
                         if line.strip() and "\t" not in line and "<" not in line)
    return (paragraphs * (count // len(paragraphs) + 1))[:count - 1] + "。"


@pytest.fixture(scope="module", autouse=True)
def long_paragraph(tmp_path_factory, font_cache):
    """A 300,000-character paragraph, built in the background from the module's start
    (about 20 s), so that its build overlaps the other tests; its test reads the result."""
    paragraph = news_text(300_000)
    project = make_project(tmp_path_factory.mktemp("long"), font_cache,
                           {"long.txt": f"长文\n\n{paragraph}\n"})
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "seeds/long.txt"], cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    yield project, process, paragraph
    if process.poll() is None:  # the module's tests were deselected: stop it
        process.kill()
        process.communicate()


def test_a_300000_character_paragraph_builds(long_paragraph):
    project, process, paragraph = long_paragraph
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["long.epub", "long.pdf"]
    assert paragraph in epub_text(project / "dist" / "long.epub")
    # The print edition breaks it across pages (running heads between): count instead.
    printed = Counter(pdf_text(project / "dist" / "long.pdf"))
    assert not Counter(ch for ch in paragraph if is_han(ch)) - printed


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return False


def _slow_build(tmp_path: Path, font_cache: Path) -> tuple[Path, subprocess.Popen, list[int]]:
    """A build of 150,000 characters (several seconds), its print process started."""
    import time

    project = make_project(tmp_path, font_cache, {"slow.txt": "长文\n\n" + news_text(150_000)})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "seeds/slow.txt"],
                               cwd=project, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not _children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # into the layout
    return project, process, _children(process.pid)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_a_stopped_build_leaves_no_part_and_no_process(tmp_path, font_cache, how):
    import signal
    import time

    project, process, children = _slow_build(tmp_path, font_cache)
    assert children, "the print process did not start"
    process.send_signal(getattr(signal, how))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + getattr(signal, how), stderr
    assert stderr.strip() == f"paiban: stopped by {how}"
    time.sleep(0.5)
    assert not any(_alive(child) for child in children)
    assert leftovers(project) == []


def test_the_print_process_dies_with_its_parent_and_the_next_build_sweeps(tmp_path, font_cache):
    import signal
    import time

    project, process, children = _slow_build(tmp_path, font_cache)
    assert children
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while any(_alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(child) for child in children)
    # whatever it left (a part of its PDF, if it got that far) goes at the next build
    (project / "dist").mkdir(exist_ok=True)
    stale = project / "dist" / f".slow.pdf.{process.pid}.abcd.part"
    stale.write_bytes(b"half a PDF")
    (project / "seeds" / "slow.txt").write_text("短文\n\n" + news_text(300), encoding="utf-8")
    result = paiban(project, "build", "seeds/slow.txt")
    assert result.returncode == 0, result.stderr
    assert leftovers(project) == ["slow.epub", "slow.pdf"]


def test_text_the_print_layout_loses_fails_the_build(tmp_path, font_cache):
    """The laid-out pages are compared with the model's text: a paragraph the layout
    drops (here: hidden by a broken stylesheet) fails the build, naming what was lost."""
    project = make_project(tmp_path, font_cache, with_seed=True)
    code = ("import pipeline.render as r\n_real = r.render_print\n"
            "r.render_print = lambda *a, **k: _real(*a, **k).replace("
            "'</style>', 'article:last-of-type p:last-of-type{display:none}</style>', 1)")
    result = paiban(project, "build", "seeds/" + SEED.name, code=code)
    line = assert_clean_failure(result, 1, "the print layout lost", "character(s) of the text")
    assert "first: '" in line
    assert_nothing_written(project)


def test_damaged_caches_are_made_again_not_trusted(tmp_path):
    """A truncated font subset in build/fonts/ and a damaged page map are not reused:
    the rebuilt editions are the same bytes as the first ones."""
    font_cache = tmp_path / "fonts-cache"
    font_cache.mkdir()
    project = make_project(tmp_path / "p", font_cache, with_seed=True)
    assert paiban(project, "build", "seeds/" + SEED.name).returncode == 0
    first = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    subsets = [p for p in font_cache.iterdir() if p.suffix in (".otf", ".ttf")]
    assert subsets and all(p.with_name(p.name + ".sha256").is_file() for p in subsets)
    for subset in subsets:
        subset.write_bytes(subset.read_bytes()[:1000])
    maps = list((project / "build").glob("**/pages/*.json"))
    assert maps
    for page_map in maps:
        page_map.write_text('{"a0": 1}', encoding="utf-8")
    # the e-book alone: it takes its print pages from the (damaged) cached map
    result = paiban(project, "build", "--force", "--format", "epub", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr
    epub = f"{SLUG}.epub"
    assert (project / "dist" / epub).read_bytes() == first[epub]  # its page list whole
    result = paiban(project, "build", "--force", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in (project / "dist").iterdir()} == first


def test_a_stamp_that_cannot_be_written_is_one_line_after_the_editions(tmp_path, font_cache):
    """The editions are committed before the stamp: a stamp that cannot be written (a
    folder in its way) is one line, exit 0, and the next build makes them again."""
    from pipeline import stamp

    project = make_project(tmp_path, font_cache, with_seed=True)
    seed = project / "seeds" / SEED.name
    stamp.stamp_path(seed, project).mkdir(parents=True)  # a folder where the file goes
    result = paiban(project, "build", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot record the build" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert leftovers(project) == [f"{SLUG}.epub", f"{SLUG}.pdf"]


def test_text_over_the_character_limit_exit_2(tmp_path, font_cache):
    text = "长文\n\n" + news_text(stages.MAX_CHARACTERS) + "\n"
    project = make_project(tmp_path, font_cache, {"huge.txt": text})
    assert_clean_failure(paiban(project, "build", "seeds/huge.txt"), 2, "huge.txt",
                         f"{len(text):,} characters", f"the limit is {stages.MAX_CHARACTERS:,}")
    assert_nothing_written(project)


def test_a_huge_seed_is_refused_by_its_size_before_it_is_read(tmp_path, font_cache):
    """A 3 GB seed (sparse: no disk used) is refused by its size, neither hashed for the
    up-to-date check nor read: in a second, in little memory."""
    project = make_project(tmp_path, font_cache)
    with (project / "seeds" / "huge.txt").open("wb") as file:
        file.truncate(3 * 1024 ** 3)
    peak = tmp_path / "peak"
    code = ("import atexit, resource\natexit.register(lambda: open(%r, 'w').write(str("
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))" % str(peak))
    assert_clean_failure(paiban(project, "build", "seeds/huge.txt", code=code), 2, "huge.txt",
                         "3,221,225,472 bytes", f"the limit is {stages.MAX_INPUT_BYTES:,}")
    assert int(peak.read_text()) < 400 * 1024  # KiB: far from the 3 GB a whole read needs
    assert_nothing_written(project)


def test_text_over_the_typographic_span_limit_exit_2(tmp_path, font_cache):
    # Every adjacent pair of full-width marks is compressed: one span per mark.
    text = "符号\n\n" + "，。、；：“”（）《》" * (stages.MAX_MARKS // 6) + "\n"
    project = make_project(tmp_path, font_cache, {"marks.txt": text})
    assert_clean_failure(paiban(project, "build", "seeds/marks.txt"), 2, "marks.txt",
                         "typographic spans", f"the limit is {stages.MAX_MARKS:,}")
    assert_nothing_written(project)


def test_a_long_unbreakable_word_wraps_instead_of_leaving_the_page(hostile):
    with pdfplumber.open(hostile["pdf"]) as document:
        for page in document.pages:
            assert all(0 <= char["x0"] and char["x1"] <= page.width for char in page.chars)
    shown = squeeze(pdf_text(hostile["pdf"]))
    for word in ("x" * 400, "abcdefghij" * 30, "y" * 300, "—" * 120):
        assert word in shown


# --- the sidecar -----------------------------------------------------------------------------

SIDECAR_NAME = SEED.with_suffix(".yaml").name


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


USE_BOMB = (b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a0"><rect width="1" height="1"/></g>'
            + b"".join(b'<g id="a%d">' % level + b'<use href="#a%d"/>' % (level - 1) * 10 + b"</g>"
                       for level in range(1, 9)) + b"</svg>")
SVG_OK = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40" '
          b'height="30"><rect width="40" height="30" fill="#c33"/></svg>\n')


@pytest.mark.parametrize("sidecar, words", [
    ("edition:\n  paper: [unclosed\n", ["YAML syntax error", "line 3, column 1"]),
    ("photos:\n  - article: 请旅客\n    path: p.png\n    colour: red\n", ["photos[0].colour"]),
    ("layout:\n  body_size: 12\n", ["layout.body_size", "expected str, got int"]),
    ("layout:\n  columns: two\n", ["layout.columns", "expected int, got str"]),
    ("photos:\n  - article: 请旅客\n    path: p.png\n    caption: 3\n",
     ["photos[0].caption", "expected str, got int"]),
    ("- just\n- a list\n", ["sidecar", "expected a mapping"]),
    ("photos:\n  - article: 请旅客\n    path: /etc/hostname\n", ["photos[0].path", "relative"]),
    ("photos:\n  - article: 请旅客\n    path: out/p.png\n", ["photos[0].path", "leads outside"]),
    ("layout:\n  columns: 2\nedition:\n  paper: 报\nlayout:\n  columns: 1\n",
     ["YAML syntax error", "line 5", "'layout' is given twice (first on line 1)"]),
    # budgets: every layout value within what a page can use (#13: OOM, minutes, tracebacks)
    ('layout:\n  page_size: "100000in"\n', ["layout.page_size", "outside 90-1200mm"]),
    ("layout:\n  page_size: huge\n", ["layout.page_size", "is not a page size"]),
    ("layout:\n  body_size: 0.01pt\n", ["layout.body_size", "outside 6-24pt"]),
    ("layout:\n  body_size: 0pt\n", ["layout.body_size", "outside 6-24pt"]),
    ("layout:\n  line_height: 0\n", ["layout.line_height", "outside 1-3"]),
    ("layout:\n  line_height: -3\n", ["layout.line_height", "outside 1-3"]),
    ("layout:\n  line_height: .nan\n", ["layout.line_height", "outside 1-3"]),
    ("layout:\n  line_height: .inf\n", ["layout.line_height", "outside 1-3"]),
    ("layout:\n  margin_top: 400mm\n", ["layout.margin_top", "a third of the page"]),
    ("layout:\n  page_size: 100mm 100mm\n  body_size: 24pt\n",
     ["layout: the text block holds", "at least 8 and 10"]),
    ("layout:\n  han_latin_space: 2em\n", ["layout.han_latin_space", "outside 0-0.5em"]),
    ("layout:\n  column_gap_chars: 500\n", ["layout.column_gap_chars"]),
    ("layout:\n  writing_mode: diagonal\n", ["layout.writing_mode", "horizontal or vertical"]),
    # metadata: real dates, BCP 47, anchored slugs, bounded strings and nesting
    ("edition:\n  date: 2022-13-45\n", ["reads as a date or number but is none"]),
    ('edition:\n  date: "2022-02-30"\n', ["edition.date", "is not a date"]),
    ("edition:\n  language: zh_CN\n", ["edition.language", "BCP 47"]),
    ('edition:\n  slug: "abc\\n"\n', ["edition.slug"]),
    ("edition:\n  paper: " + "报" * 5000 + "\n", ["edition.paper", "at most"]),
    ("edition:\n  paper: " + "报" * 41 + "\n", ["edition.paper", "41 characters; at most 40"]),
    ("a: " + "[" * 3000 + "]" * 3000 + "\n", ["nests too deeply"]),
    ("corrections:\n" + "  - keep_apart: 某\n" * 1001, ["corrections", "at most 1,000"]),
    ("corrections:\n  - caption: 某\n", ["corrections[0]", "'subtitle' or 'credit', got caption"]),
    ("corrections:\n  - kicker: 某\n    subtitle: 某\n", ["corrections[0]", "got kicker, subtitle"]),
])
def test_broken_sidecar_build_exit_2(tmp_path, tmp_path_factory, font_cache, sidecar, words):
    project = make_project(tmp_path, font_cache, with_seed=True)
    (project / "seeds" / "p.png").write_bytes(_png())
    outside = tmp_path_factory.mktemp("outside")
    (outside / "p.png").write_bytes(_png())
    (project / "seeds" / "out").symlink_to(outside)  # a folder link leading out
    (project / "seeds" / SIDECAR_NAME).write_text(sidecar, encoding="utf-8")
    assert_clean_failure(paiban(project, "build", "seeds/" + SEED.name), 2, SIDECAR_NAME, *words)
    assert_nothing_written(project)


@pytest.mark.parametrize("sidecar", [
    "edition:\n  language: zh-Hant-HK\n  date: 2024-02-29\n",
    "edition:\n  language: zh-cmn-Hans-CN\n",
    "layout:\n  page_size: B5 landscape\n  body_size: 9pt\n  line_height: 1.5\n",
    "layout:\n  page_size: 170mm 240mm\n  columns: 2\n  column_gap_chars: 3\n",
    "layout:\n  writing_mode: vertical\n",
])
def test_sidecar_values_a_paper_uses_are_accepted(tmp_path, font_cache, sidecar):
    project = make_project(tmp_path, font_cache, with_seed=True)
    (project / "seeds" / SIDECAR_NAME).write_text(sidecar, encoding="utf-8")
    result = paiban(project, "model", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr


def test_sidecar_not_utf8_build_exit_2(tmp_path, font_cache):
    project = make_project(tmp_path, font_cache, with_seed=True)
    (project / "seeds" / SIDECAR_NAME).write_bytes("edition:\n  paper: 报\n".encode("gb18030"))
    assert_clean_failure(paiban(project, "build", "seeds/" + SEED.name), 2, SIDECAR_NAME,
                         "cannot read the sidecar")
    assert_nothing_written(project)


@pytest.mark.parametrize("name, data, words", [
    ("p.jpg", b"this is not an image\n", ["not a JPEG, PNG, GIF, WebP or SVG image"]),
    ("p.jpg", _png(), ["p.jpg holds image/png data", "image/jpeg"]),
    ("p.png", _png()[:60], ["p.png cannot be decoded"]),  # the header right, the rest cut
    ("p.png", _png()[:33] + bytes(len(_png()) - 33), ["p.png cannot be decoded"]),
    ("p.txt", _png(), ["p.txt is not named as an image"]),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     ["<script>"]),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', ["onload"]),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
              b'<image x:href="file:///etc/passwd"/></svg>', ["refers to another file"]),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://e.x/a)"/>'
              b'</svg>', ["refers to another file"]),
    ("p.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
              b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', ["entities"]),
    ("p.svg", b"<svg><unclosed></svg>", ["not well-formed"]),
    # a nested SVG document could load what the outer one may not
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/svg+xml;base64,'
              b'PHN2Zy8+"/></svg>', ["refers to another file or document", "svg+xml"]),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(data:image/svg+xml,'
              b'x)"/></svg>', ["refers to another file"]),
    # <use> bombs (8 levels of 10 copies: 10^8 elements from 1.7 kB) and cycles
    ("p.svg", USE_BOMB, ["<use> copies draw more than 20,000 elements"]),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/></g></svg>',
     ["a <use> refers to itself"]),
])
def test_photo_that_is_not_a_usable_image_exit_2(tmp_path, font_cache, name, data, words):
    project = make_project(tmp_path, font_cache, {name: data}, with_seed=True)
    with (project / "seeds" / SIDECAR_NAME).open("a", encoding="utf-8") as sidecar:
        sidecar.write(f"photos:\n  - article: 请旅客\n    path: {name}\n    caption: 车站\n")
    assert_clean_failure(paiban(project, "build", "seeds/" + SEED.name), 2,
                         SIDECAR_NAME, "photos[0].path", *words)
    assert_nothing_written(project)


def test_photos_in_both_editions(tmp_path, font_cache):
    project = make_project(tmp_path, font_cache, {"p.png": _png(), "s.svg": SVG_OK},
                           with_seed=True)
    with (project / "seeds" / SIDECAR_NAME).open("a", encoding="utf-8") as sidecar:
        sidecar.write("photos:\n  - article: 请旅客\n    path: p.png\n    caption: 车站\n")
    result = paiban(project, "build", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr
    assert pdf_images(project / "dist" / f"{SLUG}.pdf") == 1
    with zipfile.ZipFile(project / "dist" / f"{SLUG}.epub") as book:
        opf = etree.fromstring(book.read("EPUB/package.opf"))
        types = {item.get("href"): item.get("media-type")
                 for item in opf.iter("{http://www.idpf.org/2007/opf}item")}
        assert types["images/photo1.png"] == "image/png"
        assert book.read("EPUB/images/photo1.png") == _png()
    # A static SVG is accepted as well.
    (project / "seeds" / SIDECAR_NAME).write_text(
        SEED.with_suffix(".yaml").read_text(encoding="utf-8")
        + "photos:\n  - article: 请旅客\n    path: s.svg\n", encoding="utf-8")
    assert paiban(project, "model", "seeds/" + SEED.name).returncode == 0


def _svg_image(href: str) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">'
            f'<image href="{href}" width="40" height="30"/></svg>').encode()


@pytest.mark.parametrize("inner", ["file", "http", "nested"])
def test_a_photo_cannot_make_the_layout_read_files_or_urls(tmp_path, tmp_path_factory,
                                                             font_cache, inner):
    """The print layout's one URL fetcher serves the edition's fonts and checked photos
    only.  With the sidecar's SVG check switched off (a second gate, not the first),
    a photo pointing at a file outside the project, at a URL, or at a nested SVG
    document that does, stops the build with one line: nothing read, nothing sent."""
    import base64
    import socket

    outside = tmp_path_factory.mktemp("outside") / "secret.png"
    outside.write_bytes(_png())
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    url = {"file": outside.as_uri(), "http": f"http://127.0.0.1:{server.getsockname()[1]}/a.png"}
    url["nested"] = "data:image/svg+xml;base64," + base64.b64encode(
        _svg_image(url["file"])).decode()
    project = make_project(tmp_path, font_cache, {"p.svg": _svg_image(url[inner])},
                           with_seed=True)
    with (project / "seeds" / SIDECAR_NAME).open("a", encoding="utf-8") as sidecar:
        sidecar.write("photos:\n  - article: 请旅客\n    path: p.svg\n")
    result = paiban(project, "build", "seeds/" + SEED.name,
                    code="import pipeline.settings as s\n"
                         "s.photo_problem = lambda path, data=None: ''")
    assert_clean_failure(result, 1, "the print layout asked for",
                         "not one of the edition's fonts or checked photos")
    assert_nothing_written(project)
    with pytest.raises(BlockingIOError):  # no connection was ever made
        server.accept()
    server.close()


def test_the_layout_uses_the_photo_bytes_that_were_checked(tmp_path, font_cache):
    """A photo swapped for a link after the sidecar was read is not followed: both
    editions carry the bytes that were checked, read once."""
    from pipeline import settings
    from pipeline.emit import pdf

    project = make_project(tmp_path, font_cache, {"p.png": _png()}, with_seed=True)
    with (project / "seeds" / SIDECAR_NAME).open("a", encoding="utf-8") as sidecar:
        sidecar.write("photos:\n  - article: 请旅客\n    path: p.png\n")
    read = settings.load_sidecar(project / "seeds" / SIDECAR_NAME, project)
    (project / "seeds" / "p.png").unlink()
    (project / "seeds" / "p.png").symlink_to("/etc/hostname")
    assert read.photos[0].data == _png()
    with pytest.raises(OSError):  # read once, never through a link
        settings.read_photo(project / "seeds" / "p.png")
    assert pdf.photo_url("seeds/p.png", photos={"seeds/p.png": read.photos[0].data},
                         root=project).endswith(base64_of(_png()))
    with pytest.raises(BuildError, match="photo seeds/p.png"):
        pdf.photo_url("seeds/p.png", photos={}, root=project)


def base64_of(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


# --- fonts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage, words", [
    ("delete", ["font file missing", "NotoSansSC-Bold.otf"]),
    ("truncate", ["font file corrupt", "NotoSansSC-Bold.otf"]),
])
def test_missing_or_corrupt_font_build_exit_1(tmp_path, font_cache, damage, words):
    project = make_project(tmp_path, font_cache, with_seed=True)
    fonts = project / "fonts"
    fonts.unlink()
    fonts.mkdir()
    for source in (ROOT / "fonts").iterdir():
        (fonts / source.name).symlink_to(source)
    (fonts / "manifest.yaml").unlink()
    shutil.copy(ROOT / "fonts" / "manifest.yaml", fonts / "manifest.yaml")
    damaged = fonts / "NotoSansSC-Bold.otf"
    damaged.unlink()
    if damage == "truncate":
        damaged.write_bytes((ROOT / "fonts" / "NotoSansSC-Bold.otf").read_bytes()[:4096])
    assert_clean_failure(paiban(project, "build", "seeds/" + SEED.name), 1, *words)
    assert_nothing_written(project)


# --- writing: atomic, and the previous edition kept -------------------------------------------


def _built_once(project: Path, reference: Path) -> dict[str, bytes]:
    """``project``'s dist/ as a previous build left it (a copy of ``reference``, the UTF-8
    reference build's editions); their bytes by name."""
    shutil.copytree(reference, project / "dist")
    return {p.name: p.read_bytes() for p in (project / "dist").iterdir()}


@pytest.fixture(scope="module")
def reference_dist(encoded_builds) -> Path:
    code, stderr, reference = encoded_builds["utf-8"]
    assert code == 0, stderr
    return reference


@pytest.fixture
def built_once(tmp_path, font_cache, reference_dist) -> tuple[Path, dict[str, bytes]]:
    """A project holding the seed and the editions a previous build left."""
    project = make_project(tmp_path, font_cache, with_seed=True)
    return project, _built_once(project, reference_dist)


def _assert_previous_edition_kept(project: Path, before: dict[str, bytes]) -> None:
    after = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    assert after == before  # same names (no *.part) and same bytes
    assert not list(project.glob("**/.*.part"))


# Breaks in-process, at the moment the PDF is renamed into place (its bytes are written).
NO_ROOM = """
import errno, os, types
from pipeline import output
def replace(source, target):
    if str(target).endswith(".pdf"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    os.replace(source, target)
output.os = types.SimpleNamespace(**{**vars(os), "replace": replace})
"""
# An interrupt (Ctrl-C) halfway through writing each edition's temporary file.
INTERRUPTED = """
import os, types
from pipeline import output
class Half:
    def __init__(self, fd, mode): self.out = os.fdopen(fd, mode)
    def __enter__(self): return self
    def __exit__(self, *exc): self.out.close()
    def write(self, data):
        self.out.write(data[:len(data) // 2])
        raise KeyboardInterrupt
output.os = types.SimpleNamespace(**{**vars(os), "fdopen": Half})
"""


def _rebuild_changed(project: Path, code: str) -> subprocess.CompletedProcess:
    """Change the seed (a new article), then build with ``code`` breaking the write."""
    (project / "seeds" / SEED.name).write_text(
        SEED.read_text(encoding="utf-8") + "\n\n新的一篇\n\n新的正文。\n", encoding="utf-8")
    return paiban(project, "build", "seeds/" + SEED.name, code=code)


def _failed_rebuild(folder: Path, font_cache: Path, reference: Path, code: str):
    project = make_project(folder, font_cache, with_seed=True)
    before = _built_once(project, reference)
    return project, before, _rebuild_changed(project, code)


@pytest.fixture(scope="module")
def no_room(tmp_path_factory, font_cache, reference_dist):
    """A rebuild whose PDF cannot be renamed into place: (project, before, result)."""
    return _failed_rebuild(tmp_path_factory.mktemp("no-room"), font_cache, reference_dist,
                           NO_ROOM)


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, font_cache, reference_dist):
    """A rebuild interrupted while writing: (project, before, result)."""
    return _failed_rebuild(tmp_path_factory.mktemp("interrupted"), font_cache,
                           reference_dist, INTERRUPTED)


@pytest.mark.parametrize("case, words, exit_code", [
    ("no_room", ["cannot write", f"{SLUG}.pdf", "No space left on device"], 1),
    ("interrupted", ["interrupted"], 130),
])
def test_a_failed_write_leaves_no_partial_file(request, case, words, exit_code):
    """The edition whose write failed is the previous one, whole; nothing else is left."""
    project, before, result = request.getfixturevalue(case)
    assert_clean_failure(result, exit_code, *words)
    after = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    assert sorted(after) == sorted(before)  # no *.part beside them
    assert after[f"{SLUG}.pdf"] == before[f"{SLUG}.pdf"]
    with zipfile.ZipFile(project / "dist" / f"{SLUG}.epub") as book:
        assert book.testzip() is None  # the previous e-book, or a whole new one
    assert not list(project.glob("**/.*.part"))


def test_an_interrupted_build_keeps_the_previous_editions(interrupted):
    project, before, _ = interrupted
    _assert_previous_edition_kept(project, before)


def test_a_failed_print_edition_keeps_the_previous_ebook_too(no_room):
    """Both editions are committed together: the PDF's failed rename leaves the previous
    e-book too (the new one was written, then discarded)."""
    project, before, _ = no_room
    _assert_previous_edition_kept(project, before)


def test_a_failed_second_edition_keeps_the_previous_one(built_once):
    """The e-book step fails after the print edition was written: the previous e-book
    is kept whole, and nothing else is left behind."""
    project, before = built_once
    broken = """
from pipeline.emit import epub
from pipeline.errors import BuildError
def fail(*args, **kwargs):
    raise BuildError("the e-book could not be made (test)")
epub.package = fail
"""
    result = paiban(project, "build", "--force", "seeds/" + SEED.name, code=broken)
    assert_clean_failure(result, 1, "the e-book could not be made")
    _assert_previous_edition_kept(project, before)


def test_output_folder_that_is_a_file_exit_1(tmp_path, font_cache):
    project = make_project(tmp_path, font_cache, {"x.txt": "标题\n\n正文。\n"})
    (project / "dist").write_text("not a folder", encoding="utf-8")
    assert_clean_failure(paiban(project, "build", "seeds/x.txt"), 1, "cannot write", "dist")
    assert (project / "dist").read_text(encoding="utf-8") == "not a folder"


# --- a paper in traditional characters, in Big5 --------------------------------------------


def test_a_big5_day_in_traditional_characters_builds(tmp_path, font_cache):
    """Big5 is read (cp950), the edition is tagged zh-Hant, the layouts' own words are in
    traditional characters (目錄, 頁碼), and both editions carry the text whole."""
    data = (ROOT / "tests" / "cases" / "traditional_big5" / "input.txt").read_bytes()
    project = make_project(tmp_path, font_cache, {"t.txt": data})
    result = paiban(project, "build", "seeds/t.txt")
    assert result.returncode == 0, result.stderr
    text = data.decode("cp950")
    body = "臺中市交通局今天宣布，全市一百二十處路口的智慧號誌系統正式啟用。"
    assert body in text and body in squeeze(pdf_text(project / "dist" / "t.pdf"))
    assert body in epub_text(project / "dist" / "t.epub")
    docs = epub_documents(project / "dist" / "t.epub")
    nav = next(doc for name, doc in docs.items() if name.endswith("nav.xhtml"))
    shown = "".join(nav.itertext())
    assert "目錄" in shown and "目录" not in shown
    assert nav.get("lang") == "zh-Hant"
    with zipfile.ZipFile(project / "dist" / "t.epub") as book:
        opf = book.read("EPUB/package.opf").decode("utf-8")
    assert "<dc:language>zh-Hant</dc:language>" in opf and "本書是報紙當日的電子版" in opf


# --- more than the layout can make in a minute: refused (README, "Limits") -----------------


def test_more_articles_than_the_limit_exit_2(tmp_path, font_cache):
    articles = "\n".join(f"第{n}条消息\n\n本报讯 今天召开第{n}次会议。\n"
                         for n in range(1, stages.MAX_ARTICLES + 2))
    project = make_project(tmp_path, font_cache, {"many.txt": articles})
    assert_clean_failure(paiban(project, "build", "seeds/many.txt"), 2, "many.txt",
                         f"{stages.MAX_ARTICLES + 1:,} articles",
                         f"the limit is {stages.MAX_ARTICLES:,}")
    assert_nothing_written(project)


def test_a_table_over_the_cell_limit_exit_2(tmp_path, font_cache):
    columns = stages.MAX_TABLE_CELLS // 4 + 1  # a header and three rows
    rows = ["  ".join(f"列{c}" for c in range(columns))]
    rows += ["  ".join(str(r * c % 97) for c in range(columns)) for r in range(1, 4)]
    text = "宽表\n\n下面是一张表。\n\n" + "\n".join(rows) + "\n\n表格到此结束。\n"
    project = make_project(tmp_path, font_cache, {"wide.txt": text})
    assert_clean_failure(paiban(project, "build", "seeds/wide.txt"), 2, "wide.txt",
                         f"{4 * columns:,} cells", f"the limit is {stages.MAX_TABLE_CELLS:,}")
    assert_nothing_written(project)


def test_more_verse_lines_or_names_than_the_limit_exit_2(tmp_path, font_cache):
    verse = "长诗\n\n" + "\n".join(f"第{n}行" for n in range(stages.MAX_LINES + 2)) + "\n"
    names = "名单\n\n" + "\n".join(
        " ".join(f"张{chr(0x4E00 + (4 * n + k) % 20000)}明" for k in range(4))
        for n in range(stages.MAX_NAMES // 4 + 1)) + "\n"
    project = make_project(tmp_path, font_cache, {"verse.txt": verse, "names.txt": names})
    assert_clean_failure(paiban(project, "build", "seeds/verse.txt"), 2, "verse.txt",
                         f"{stages.MAX_LINES + 1:,} lines", f"the limit is {stages.MAX_LINES:,}")
    assert_clean_failure(paiban(project, "build", "seeds/names.txt"), 2, "names.txt",
                         "names; the limit is", f"{stages.MAX_NAMES:,}")
    assert_nothing_written(project)


def test_more_tables_or_cells_in_all_than_the_limit_exit_2(tmp_path, font_cache):
    small = "\n\n".join(f"表{n}\n\n姓名\t职务\n张三\t科长" for n in range(stages.MAX_TABLES + 1))
    rows = stages.MAX_TABLE_CELLS // 10  # two tables of 10 columns, each under its own limit
    big = "\n\n".join("宽表\n\n" + "\n".join("\t".join(f"格{c}" for c in range(10))
                                             for _ in range(rows)) for _ in range(2))
    project = make_project(tmp_path, font_cache, {"small.txt": "标题\n\n" + small + "\n",
                                                   "big.txt": "标题\n\n" + big + "\n"})
    assert_clean_failure(paiban(project, "build", "seeds/small.txt"), 2, "small.txt",
                         f"{stages.MAX_TABLES + 1:,} tables", f"{stages.MAX_TABLES:,} tables")
    assert_clean_failure(paiban(project, "build", "seeds/big.txt"), 2, "big.txt",
                         f"{2 * rows * 10:,} cells in all", f"{stages.MAX_CELLS:,} cells")
    assert_nothing_written(project)


def test_long_verse_is_set_in_paragraphs_of_a_hundred_lines():
    """The same lines, parted only where a line break stood (``render.verse_chunks``)."""
    from pipeline import render
    from pipeline.model import LineBreak, Text

    runs = tuple(x for n in range(250) for x in (Text(f"第{n}行"), LineBreak()))[:-1]
    chunks = render.verse_chunks(runs)
    assert [sum(isinstance(r, Text) for r in c) for c in chunks] == [100, 100, 50]
    assert [r.text for c in chunks for r in c if isinstance(r, Text)] == [
        r.text for r in runs if isinstance(r, Text)]
    assert render.verse_chunks(runs[:9]) == [runs[:9]]


def test_a_long_latin_run_reaches_the_text_layer_whole(tmp_path, font_cache):
    """20,000 letters without a break opportunity: laid out a line at a time
    (``weasyprint_ext.patches.bounded_line_breaking``), every letter in the PDF, in order."""
    import random

    run = "".join(random.Random(7).choices("abcdefghijklmnopqrstuvwxyz", k=20_000))
    project = make_project(tmp_path, font_cache, {"run.txt": f"长串\n\n{run}\n"})
    result = paiban(project, "build", "seeds/run.txt")
    assert result.returncode == 0, result.stderr
    # Running heads come between its pages' lines, and hold no Latin letters: the
    # letters the PDF shows are the run's, each once, in order.
    letters = [char for char in pdf_text(project / "dist" / "run.pdf") if char.isascii()
               and char.isalpha()]
    assert "".join(letters) == run
    assert run in epub_text(project / "dist" / "run.epub")


def test_shapes_each_under_its_limit_but_too_much_together_exit_2(tmp_path, font_cache):
    """Verse, names and tables each under their own limit, together over the estimated
    minute (``stages.layout_cost``): refused, naming what costs most."""
    verse = "长诗\n\n" + "\n".join(f"春风吹过山岗{chr(0x4E00 + n % 5000)}" for n in range(
        stages.MAX_LINES - 10)) + "\n\n"
    names = "名单\n\n" + "\n".join(" ".join(f"张{chr(0x4E00 + (4 * n + k) % 20000)}明"
                                          for k in range(4)) for n in range(4000)) + "\n\n"
    tables = "\n\n".join(f"表{n}\n\n姓名\t职务\n张三\t科长" for n in range(1500)) + "\n"
    project = make_project(tmp_path, font_cache, {"mixed.txt": verse + names + tables})
    line = assert_clean_failure(paiban(project, "build", "seeds/mixed.txt"), 2, "mixed.txt",
                                "the print layout would take about", "lines of verse",
                                f"the limit is {stages.MAX_LAYOUT_SECONDS:.0f} s")
    assert "most of it" in line
    assert_nothing_written(project)


def test_the_layout_estimate_of_the_seed_is_its_second():
    normalized, _ = stages.model(stages.locate(SEED, ROOT))
    cost = stages.layout_cost(normalized.edition)
    assert set(cost) == set(stages.LAYOUT_SECONDS) and 0.5 < sum(cost.values()) < 2
