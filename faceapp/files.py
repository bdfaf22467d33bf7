"""Reading and writing files a user names, safely: every path is checked for what it actually is
(a folder, a pipe, a device, a symlink loop, a name too long...) and refused with a reason code and
plain words; reads are capped; writes go to a temporary file beside the target and are renamed into
place, never over the app's own database and over an existing file only when forced."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO

# Longest file name part (in bytes, as the file system stores it) on ext4, NTFS, APFS and most others.
MAX_NAME_BYTES = 255
# Longest whole path Linux accepts (PATH_MAX); longer ones fail inside the kernel with ENAMETOOLONG.
MAX_PATH_BYTES = 4096


class PathProblem(StrEnum):
    EMPTY_NAME = "empty_name"
    NAME_TOO_LONG = "name_too_long"
    NOT_FOUND = "not_found"
    BROKEN_LINK = "broken_link"
    LINK_LOOP = "link_loop"
    NOT_A_FOLDER = "parent_not_folder"
    IS_FOLDER = "is_folder"
    PIPE = "pipe"
    DEVICE = "device"
    SOCKET = "socket"
    SPECIAL = "special"
    PERMISSION = "permission"
    EMPTY_FILE = "empty_file"
    TOO_LARGE = "too_large"
    EXISTS = "exists"
    PROTECTED = "protected"
    OS_ERROR = "os_error"


class PathError(ValueError):
    """A path that cannot be used: `code` says why (a PathProblem), the message says it in words."""

    def __init__(self, code: PathProblem, path: str | os.PathLike | bytes, message: str):
        self.code = code
        self.path = path
        super().__init__(f"{shown(path)}: {message}" if os.fspath(path) else message)


def printable(text: str) -> str:
    """Text as it can be printed to a terminal or log: control and bidi-format characters (and
    lone surrogates) as \\uNNNN, so a name or file name cannot garble or recolour a terminal."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch for ch in text)


def shown(path: str | os.PathLike | bytes) -> str:
    """A path as it can be printed anywhere: bytes that are not UTF-8 as \\xNN, then printable()."""
    return printable(os.fsencode(path).decode("utf-8", "backslashreplace"))


def _kind_problem(mode: int) -> tuple[PathProblem, str] | None:
    """Why a file of this type cannot be read or replaced as a regular file, or None if it can."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return PathProblem.IS_FOLDER, "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return PathProblem.PIPE, "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return PathProblem.DEVICE, "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return PathProblem.SOCKET, "is a socket, not a regular file"
    return PathProblem.SPECIAL, "is not a regular file"


def _check_lengths(path: str | os.PathLike | bytes) -> None:
    raw = os.fsencode(path)
    if not raw:
        raise PathError(PathProblem.EMPTY_NAME, raw, "the file name is empty")
    longest = max(raw.replace(b"\\", b"/").split(b"/"), key=len)
    if len(longest) > MAX_NAME_BYTES:
        raise PathError(PathProblem.NAME_TOO_LONG, path,
                        f"a name in the path is {len(longest)} bytes long (the limit is {MAX_NAME_BYTES})")
    if len(raw) > MAX_PATH_BYTES:
        raise PathError(PathProblem.NAME_TOO_LONG, path, f"the path is {len(raw)} bytes long (the limit is {MAX_PATH_BYTES})")


def os_problem(exc: OSError, path: str | os.PathLike | bytes, *, writing: bool = False) -> PathError:
    """The PathError for an OSError raised on `path`, saying what the path really is."""
    code = exc.errno
    if code == errno.ENOENT:
        if os.path.islink(path):
            return PathError(PathProblem.BROKEN_LINK, path, "is a symbolic link to a file that does not exist")
        parent = os.path.dirname(os.fspath(path))
        if writing and parent and not os.path.isdir(parent):
            return PathError(PathProblem.NOT_FOUND, path, f"the folder {shown(parent)} does not exist")
        if writing:
            return PathError(PathProblem.NOT_FOUND, path, "cannot be created there")
        return PathError(PathProblem.NOT_FOUND, path, "no such file")
    if code == errno.ELOOP:
        return PathError(PathProblem.LINK_LOOP, path, "is a symbolic link loop (the links point at each other)")
    if code == errno.ENOTDIR:
        return PathError(PathProblem.NOT_A_FOLDER, path, "a part of the path is a file, not a folder")
    if code == errno.ENAMETOOLONG:
        return PathError(PathProblem.NAME_TOO_LONG, path, "the name is too long for the file system")
    if code == errno.EISDIR:
        return PathError(PathProblem.IS_FOLDER, path, "is a folder, not a file")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PathError(PathProblem.PERMISSION, path, "permission denied" + (" (the folder is read-only?)" if writing else ""))
    return PathError(PathProblem.OS_ERROR, path, exc.strerror or str(exc))


def read_capped(path: str | os.PathLike | bytes, limit: int, *, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else raises PathError.

    Opened non-blocking so a FIFO swapped in after the check cannot hang the read, and checked
    again on the open descriptor; at most limit + 1 bytes are ever read, whatever stat said.
    """
    _check_lengths(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise os_problem(exc, path) from None
    st = os.fstat(fd)
    problem = _kind_problem(st.st_mode)
    if problem:
        os.close(fd)
        raise PathError(problem[0], path, problem[1])
    with os.fdopen(fd, "rb") as f:
        if st.st_size == 0:
            raise PathError(PathProblem.EMPTY_FILE, path, f"the {what} is empty (0 bytes)")
        if st.st_size > limit:
            raise PathError(PathProblem.TOO_LARGE, path, f"the {what} is {st.st_size / 2**20:.0f} MB (the limit is {limit / 2**20:.0f} MB)")
        data = f.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise PathError(PathProblem.TOO_LARGE, path, f"the {what} is larger than the limit of {limit / 2**20:.0f} MB")
    return data


def sqlite_companions(database: str | os.PathLike | None) -> list[Path]:
    """The database file and the files SQLite keeps beside it (none for a gallery on a server)."""
    if database is None:
        return []
    base = Path(database)
    return [base] + [base.with_name(base.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _same_file(st: os.stat_result, others: Iterable[str | os.PathLike]) -> bool:
    for other in others:
        try:
            o = os.stat(other)
        except OSError:
            continue
        if (o.st_dev, o.st_ino) == (st.st_dev, st.st_ino):  # also catches hard links and symlinks
            return True
    return False


def check_target(path: str | os.PathLike | bytes, *, force: bool = False,
                 protected: Iterable[str | os.PathLike] = ()) -> Path:
    """A path that write_atomic may write: its folder exists, and it is not a folder, a device or
    other special file, not one of the `protected` files, and does not exist unless `force`."""
    _check_lengths(path)
    target = Path(os.fsdecode(path))
    protected = list(protected)
    resolved = os.path.realpath(target)
    if any(os.path.realpath(p) == resolved for p in protected):
        raise PathError(PathProblem.PROTECTED, path, "is the app's own database; choose another file name")
    parent = target.parent
    try:
        pst = os.stat(parent)
    except OSError as exc:
        raise os_problem(exc, parent, writing=True) from None
    if not stat.S_ISDIR(pst.st_mode):
        raise PathError(PathProblem.NOT_A_FOLDER, path, f"{shown(parent)} is a file, not a folder")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        if os.path.islink(target):
            raise PathError(PathProblem.BROKEN_LINK, path, "is a symbolic link to a file that does not exist") from None
        return target
    except OSError as exc:
        raise os_problem(exc, path, writing=True) from None
    problem = _kind_problem(st.st_mode)
    if problem:
        raise PathError(problem[0], path, problem[1])
    if _same_file(st, protected):
        raise PathError(PathProblem.PROTECTED, path, "is the app's own database; choose another file name")
    if not force:
        raise PathError(PathProblem.EXISTS, path, "already exists (overwrite it with --force)")
    return target


def write_atomic(path: str | os.PathLike | bytes, write: Callable[[IO], None], *, force: bool = False,
                 protected: Iterable[str | os.PathLike] = (), mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = None) -> Path:
    """Write a file so that it appears complete or not at all: `write(f)` fills a temporary file in
    the target's folder, which is synced and renamed over the target. The target is checked first
    (check_target); an interruption leaves the old file (if any) untouched and no temporary behind."""
    target = check_target(path, force=force, protected=protected)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".faceapp-", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise os_problem(exc, target, writing=True) from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding, "newline": newline})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
