r"""container-structure-test's schemaVersion 2.0.0 files as grader criteria.

Read as container-structure-test v1.19.1 reads them (``pkg/types/v2``, the docker driver):
commandTests become ``command`` criteria (command and args, setup, envVars after
globalEnvVars as env, exitCode 0 unless given, and ``expand_env`` when the command holds
$NAME, which ``utils.SubstituteEnvVars`` replaces from the image's env; setup commands run as
written). teardown is dropped with a note: the docker driver skips it, as each test has a
container of its own, and grader removes each container too. fileExistenceTests become
``paths_present`` (permissions, uid, gid, isExecutableBy; uid and gid -1 are "not checked") or,
with shouldExist false, ``paths_absent``; fileContentTests ``file_content``; metadataTest one
``metadata`` criterion (none if empty). globalEnvVars are every command's env, since the
driver commits them into the image command tests run in; the metadata test reads the original
image, so they do not change what it checks.

Values are typed as Go types them. YAML (yaml.v2) puts any scalar into a text field as written
(``0755`` stays '0755') and reads y/n/yes/no/on/off as booleans. A ``*.json`` file is read as
encoding/json reads it: keys match Go's field names in any case, text must be JSON strings,
shouldExist defaults to false and uid/gid to 0 (the YAML defaults come from an UnmarshalYAML
that JSON never calls), with a note. Regexes are Go's RE2 and grader's Python's ``re``: each
must mean the same in both (``grader.interop.regex_problem`` says what is refused).

Where grader is stricter than container-structure-test, and why:

- Unknown keys anywhere are refused naming them: container-structure-test refuses them in YAML
  (yaml.v2 UnmarshalStrict) but silently ignores them in JSON, where a typo drops a check.
- Tests it always fails (no name, no command, an empty setup command, an empty env key or
  value, a regex Go rejects, a uid below -1, an unknown isExecutableBy) are refused.
- It compares port numbers only ('8080' also matches 8080/udp; '8080/tcp' never matches): a
  port with a protocol is refused, exposedPorts '8080' means TCP in grader, and unexposedPorts
  '8080' becomes 8080 over tcp, udp and sctp.
- It expands $NAME in file existence paths, in globalEnvVars values, and in envVars values for
  setup commands; it expands the command's $NAME from an image holding globalEnvVars (and,
  after setup, envVars), but never a setup command's. grader takes values as written, expands
  from the built image only, and expands setup commands too when it expands the command, so
  each of these is refused.
- licenseTests, and every containerRunOptions field that is set, are refused: grader does not
  read Debian copyright files, and every run is in grader's sandbox. file_content reads the
  first 1 MiB of a file (grader's default max_bytes); container-structure-test reads it all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from grader.errors import ImportRefused
from grader.interop import (
    Draft,
    Parsed,
    compose,
    go_bool,
    go_int,
    go_text,
    regex_problem,
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _snake(name: str) -> str:
    """A container-structure-test field's name as grader's: expectedOutput -> expected_output."""
    return re.sub(r"([A-Z])", r"_\1", name).lower()


# Each struct's fields by their YAML names (yaml.v2 lowercases the first letter of untagged ones).
_TOP = _names(
    "schemaVersion globalEnvVars commandTests fileExistenceTests fileContentTests metadataTest "
    "licenseTests containerRunOptions"
)
_ENV = _names("key value isRegex")
_COMMAND = _names(
    "name setup teardown envVars exitCode command args expectedOutput excludedOutput "
    "expectedError excludedError"
)
_EXISTENCE = _names("name path shouldExist permissions uid gid isExecutableBy")
_CONTENT = _names("name path expectedContents excludedContents")
_METADATA = _names(
    "envVars unboundEnvVars exposedPorts unexposedPorts entrypoint cmd workdir volumes "
    "unmountedVolumes labels user"
)
_RUN_OPTIONS = _names("user privileged allocateTty envVars envFile capabilities bindMounts")
_JSON_NAMES = {"allocateTty": "TTY"}  # encoding/json matches Go's field names, not yaml tags
_PATTERNS = _names("expectedOutput excludedOutput expectedError excludedError")


# os.Expand, which the driver uses, replaces ${...}, $NAME and the shell's one-character names.
_EXPANDED = re.compile(r"\$(?:\{|[A-Za-z0-9_*#$@!?-])")
_REFERENCE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def drafts(raw: bytes, file: str, *, per_rule: bool) -> Parsed:
    """The criteria a container-structure-test file gives, one per test (``per_rule`` aside)."""
    node = compose(raw, file)
    if not isinstance(node, yaml.MappingNode):
        raise ImportRefused(
            [f"{file}: not a container-structure-test file (a mapping with schemaVersion 2.0.0)"]
        )
    reader = _Reader(file, json=file.lower().endswith(".json"))
    top = reader.fields(node, "", _TOP)
    version = reader.text(top.get("schemaVersion"), "schemaVersion")
    if not version:
        reader.refuse("schemaVersion", "missing: grader reads schemaVersion 2.0.0 files")
    elif version != "2.0.0":
        reader.refuse("schemaVersion", f"{version!r} is not supported: grader reads 2.0.0 only")
    if reader.problems:
        raise ImportRefused(reader.problems)
    global_env = _global_env(reader, top.get("globalEnvVars"))
    found: list[Draft | None] = []
    for where, item in reader.items(top.get("commandTests"), "commandTests"):
        found.append(_command(reader, item, where, global_env))
    for where, item in reader.items(top.get("fileExistenceTests"), "fileExistenceTests"):
        found.append(_existence(reader, item, where))
    for where, item in reader.items(top.get("fileContentTests"), "fileContentTests"):
        found.append(_content(reader, item, where))
    found.append(_metadata(reader, top.get("metadataTest")))
    if reader.items(top.get("licenseTests"), "licenseTests"):
        reader.refuse("licenseTests", "not supported: grader does not check Debian copyright files")
    _run_options(reader, top.get("containerRunOptions"))
    if reader.problems:
        raise ImportRefused(reader.problems)
    return Parsed(tuple(d for d in found if d is not None), tuple(reader.notes))


@dataclass(frozen=True)
class _Env:
    """One EnvVar (or Label) as written, and where it is."""

    key: str
    value: str
    is_regex: bool
    where: str
    has_value: bool


@dataclass
class _Reader:
    """One file's nodes read as container-structure-test's Go structs, collecting refusals."""

    file: str
    json: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def refuse(self, where: str, message: str) -> None:
        self.problems.append(f"{self.file}: {where}: {message}")

    def note(self, where: str, message: str) -> None:
        self.notes.append(f"{self.file}: {where}: {message}")

    def fields(self, node: Node, where: str, names: Sequence[str]) -> dict[str, yaml.Node]:
        """A struct's fields by their YAML names; unknown and repeated keys are refused."""
        if _null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.refuse(where, f"must be a mapping (of {', '.join(names)})")
            return {}
        found: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            path = f"{where}.{key}" if where else key
            name = self._known(key, names)
            if name is None:
                known = ", ".join(names)
                self.refuse(path, f"unknown field (container-structure-test knows {known})")
            elif name in found:
                self.refuse(path, "given twice")
            else:
                found[name] = value
        return found

    def _known(self, key: str, names: Sequence[str]) -> str | None:
        if not self.json:
            return key if key in names else None
        folded = key.casefold()
        return next((n for n in names if _JSON_NAMES.get(n, n).casefold() == folded), None)

    def text(self, node: Node, where: str) -> str:
        text = go_text(node, json=self.json)
        if text is None:
            self.refuse(where, "must be a JSON string" if self.json else "must be text")
        return text or ""

    def flag(self, node: Node, where: str) -> bool:
        flag = go_bool(node, json=self.json)
        if flag is None:
            self.refuse(where, "must be true or false")
        return bool(flag)

    def whole(self, node: Node, where: str, default: int) -> int:
        if node is None or (self.json and _null(node)):
            return default  # encoding/json leaves the field as it was
        if _null(node):
            return 0  # yaml.v2 sets the zero value
        number = go_int(str(node.value), json=self.json) if _plain(node) else None
        if number is None:
            self.refuse(where, "must be a whole number")
        return default if number is None else number

    def items(self, node: Node, where: str, what: str = "") -> list[tuple[str, yaml.Node]]:
        if _null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.refuse(where, f"must be a list{what}")
            return []
        return [(f"{where}[{i}]", item) for i, item in enumerate(node.value)]

    def texts(self, node: Node, where: str) -> list[str]:
        return [self.text(item, path) for path, item in self.items(node, where, " of text")]

    def commands(self, node: Node, where: str) -> list[list[str]]:
        commands = []
        for path, item in self.items(node, where):
            words = self.texts(item, path)
            if not words:
                self.refuse(path, "an empty command: container-structure-test fails the test")
            commands.append(words)
        return commands

    def patterns(self, node: Node, where: str, *, lines: bool) -> list[str]:
        found = self.texts(node, where)
        for i, pattern in enumerate(found):
            self.regex(pattern, f"{where}[{i}]", lines=lines)
        return found

    def regex(self, pattern: str, where: str, *, lines: bool) -> None:
        problem = regex_problem(pattern, lines=lines)
        if problem:
            shown = pattern if len(pattern) <= 60 else pattern[:59] + "…"
            self.refuse(where, f"pattern {shown!r}: {problem}")

    def env(self, node: Node, where: str) -> list[_Env]:
        found = []
        for path, item in self.items(node, where):
            pair = self.fields(item, path, _ENV)
            found.append(
                _Env(
                    key=self.text(pair.get("key"), f"{path}.key"),
                    value=self.text(pair.get("value"), f"{path}.value"),
                    is_regex=self.flag(pair.get("isRegex"), f"{path}.isRegex"),
                    where=path,
                    has_value="value" in pair,
                )
            )
        return found


Node = yaml.Node | None


def _null(node: Node) -> bool:
    return node is None or node.tag == "tag:yaml.org,2002:null"


def _plain(node: Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style is None


def _name(reader: _Reader, fields: dict[str, yaml.Node], where: str) -> str:
    name = reader.text(fields.get("name"), f"{where}.name")
    if not name:
        reader.refuse(f"{where}.name", "missing: container-structure-test fails a test without one")
    return name


def _global_env(reader: _Reader, node: Node) -> list[_Env]:
    found = []
    for pair in reader.env(node, "globalEnvVars"):
        if pair.is_regex:
            reader.note(f"{pair.where}.isRegex", _ISREGEX_DROPPED)
        if not pair.key:
            reader.refuse(f"{pair.where}.key", "missing: an environment variable needs a name")
        elif _EXPANDED.search(pair.value):
            reader.refuse(f"{pair.where}.value", f"{_EXPANDS_VALUE}, for every test")
        else:
            found.append(pair)
    return found


_ISREGEX_DROPPED = "dropped: container-structure-test reads isRegex only in metadataTest"
_EXPANDS_VALUE = (
    "container-structure-test replaces $NAME here with the image's env; grader sets env "
    "values as written"
)


def _command(reader: _Reader, node: yaml.Node, where: str, global_env: list[_Env]) -> Draft:
    found = reader.fields(node, where, _COMMAND)
    name = _name(reader, found, where)
    program = reader.text(found.get("command"), f"{where}.command")
    if not program:
        reader.refuse(
            f"{where}.command", "missing: container-structure-test fails a test without one"
        )
    args = reader.texts(found.get("args"), f"{where}.args")
    setup = reader.commands(found.get("setup"), f"{where}.setup")
    if reader.commands(found.get("teardown"), f"{where}.teardown"):
        reader.note(
            f"{where}.teardown",
            "dropped: container-structure-test's docker driver skips teardown too (each test "
            "has a container of its own), and grader removes each container",
        )
    env = _command_env(reader, found.get("envVars"), f"{where}.envVars", setup=bool(setup))
    expands = _expands(reader, where, [program, *args], setup=setup, global_env=global_env, env=env)
    fields: dict[str, object] = {"check": "command", "command": [program, *args]}
    if setup:
        fields["setup"] = setup
    merged = {pair.key: pair.value for pair in [*global_env, *env]}  # envVars win
    if merged:
        fields["env"] = merged
    if expands:
        fields["expand_env"] = True
    sources = {"command": f"{where}.command", "setup": f"{where}.setup[]"}
    for theirs in _PATTERNS:
        patterns = reader.patterns(found.get(theirs), f"{where}.{theirs}", lines=True)
        if patterns:
            fields[_snake(theirs)] = patterns
        sources[_snake(theirs)] = f"{where}.{theirs}[]"
    fields["exit_code"] = reader.whole(found.get("exitCode"), f"{where}.exitCode", 0)
    return Draft(name=name, title=name, origin=where, fields=fields, sources=sources)


def _command_env(reader: _Reader, node: Node, where: str, *, setup: bool) -> list[_Env]:
    env = []
    for pair in reader.env(node, where):
        if pair.is_regex:
            reader.note(f"{pair.where}.isRegex", _ISREGEX_DROPPED)
        if not pair.key or not pair.value:
            reader.refuse(
                pair.where, "needs a key and a value: container-structure-test fails the test"
            )
        elif setup and _EXPANDED.search(pair.value):
            reader.refuse(f"{pair.where}.value", f"{_EXPANDS_VALUE}, for the setup commands")
        env.append(pair)
    return env


def _expands(
    reader: _Reader,
    where: str,
    words: list[str],
    *,
    setup: list[list[str]],
    global_env: list[_Env],
    env: list[_Env],
) -> bool:
    """Whether the command needs expand_env; refused: what grader would expand otherwise."""
    defined = {pair.key for pair in [*global_env, *(env if setup else [])]}
    for i, word in enumerate(words):
        for match in _REFERENCE.finditer(word):
            variable = match.group(1) or match.group(2)
            if variable in defined:  # cst expands from the image it committed them into
                reader.refuse(
                    f"{where}.{'command' if i == 0 else f'args[{i - 1}]'}",
                    f"${variable}: container-structure-test replaces it with the value this "
                    "file sets, committed into the image; grader's expand_env reads only the "
                    "built image's ENV",
                )
    expands = any(_EXPANDED.search(word) for word in words)
    for i, step in enumerate(setup if expands else []):
        if any(_EXPANDED.search(word) for word in step):
            reader.refuse(
                f"{where}.setup[{i}]",
                "container-structure-test runs setup commands as written, but the $NAME in the "
                "command makes grader expand them too",
            )
    return expands


def _existence(reader: _Reader, node: yaml.Node, where: str) -> Draft:
    found = reader.fields(node, where, _EXISTENCE)
    name = _name(reader, found, where)
    path = reader.text(found.get("path"), f"{where}.path")
    if not path:
        reader.refuse(f"{where}.path", "missing: container-structure-test fails a test without one")
    elif _EXPANDED.search(path):
        reader.refuse(
            f"{where}.path",
            "container-structure-test replaces $NAME in it with the image's env; grader reads "
            "paths as written",
        )
    if "shouldExist" in found:
        should_exist = reader.flag(found["shouldExist"], f"{where}.shouldExist")
    else:
        should_exist = not reader.json
        if reader.json:
            reader.note(f"{where}.shouldExist", f"not given: {_JSON_DEFAULT}false (path absent)")
    if not should_exist:
        for theirs in ("permissions", "uid", "gid", "isExecutableBy"):
            if theirs in found:
                reader.refuse(
                    f"{where}.{theirs}",
                    "not checked when shouldExist is false (container-structure-test ignores "
                    "it): remove it",
                )
        fields = {"check": "paths_absent", "paths": [path]}
        return Draft(name, name, where, fields, {"paths": f"{where}.path"})
    sources = {"paths": f"{where}.path", "mode": f"{where}.permissions"}
    return Draft(name, name, where, _present(reader, found, where, path), sources)


def _present(
    reader: _Reader, found: dict[str, yaml.Node], where: str, path: str
) -> dict[str, object]:
    """paths_present's fields: uid and gid -1 (the YAML default) are not checked."""
    fields: dict[str, object] = {"check": "paths_present", "paths": [path]}
    permissions = reader.text(found.get("permissions"), f"{where}.permissions")
    if permissions:
        fields["mode"] = permissions
    for theirs in ("uid", "gid"):
        number = reader.whole(found.get(theirs), f"{where}.{theirs}", 0 if reader.json else -1)
        if reader.json and theirs not in found:
            reader.note(f"{where}.{theirs}", f"not given: {_JSON_DEFAULT}0 and checks it")
        if number < -1:
            reader.refuse(f"{where}.{theirs}", f"{number} never matches: the test always fails")
        elif number != -1:
            fields[theirs] = number
    executable = reader.text(found.get("isExecutableBy"), f"{where}.isExecutableBy")
    if executable in ("owner", "group", "other", "any"):
        fields["executable_by"] = executable
    elif executable:
        reader.refuse(
            f"{where}.isExecutableBy",
            f"{executable!r}: container-structure-test knows owner, group, other and any, "
            "and fails the test on anything else",
        )
    return fields


_JSON_DEFAULT = "in a JSON file container-structure-test reads it as "


def _content(reader: _Reader, node: yaml.Node, where: str) -> Draft:
    found = reader.fields(node, where, _CONTENT)
    name = _name(reader, found, where)
    path = reader.text(found.get("path"), f"{where}.path")
    if not path:
        reader.refuse(f"{where}.path", "missing: container-structure-test fails a test without one")
    fields: dict[str, object] = {"check": "file_content", "path": path}
    sources = {"path": f"{where}.path"}
    for theirs, ours in (("expectedContents", "expected"), ("excludedContents", "excluded")):
        patterns = reader.patterns(found.get(theirs), f"{where}.{theirs}", lines=True)
        if patterns:
            fields[ours] = patterns
        sources[ours] = f"{where}.{theirs}[]"
    return Draft(name, name, where, fields, sources)


def _metadata(reader: _Reader, node: Node) -> Draft | None:
    where = "metadataTest"
    found = reader.fields(node, where, _METADATA)
    fields: dict[str, object] = {"check": "metadata"}
    env = _expectations(reader, found.get("envVars"), f"{where}.envVars")
    for pair in reader.env(found.get("unboundEnvVars"), f"{where}.unboundEnvVars"):
        if pair.has_value or pair.is_regex:
            reader.note(pair.where, "value and isRegex dropped: only the key is checked (unset)")
        if not pair.key:
            reader.refuse(f"{pair.where}.key", "missing: an environment variable needs a name")
        env.append({"key": pair.key, "unset": True})
    labels = _expectations(reader, found.get("labels"), f"{where}.labels")
    exposed = _ports(reader, found.get("exposedPorts"), f"{where}.exposedPorts")
    unexposed = _ports(reader, found.get("unexposedPorts"), f"{where}.unexposedPorts")
    lists = {
        "env": env,
        "labels": labels,
        "exposed_ports": exposed,
        # cst compares numbers only: its '8080' must not be exposed over any protocol
        "unexposed_ports": [f"{p}{proto}" for p in unexposed for proto in ("", "/udp", "/sctp")],
    }
    fields.update({name: values for name, values in lists.items() if values})
    for theirs in ("entrypoint", "cmd"):
        if not _null(found.get(theirs)):  # a nil *[]string is "not checked"; [] is checked
            fields[theirs] = reader.texts(found.get(theirs), f"{where}.{theirs}")
    for theirs in ("workdir", "user"):
        text = reader.text(found.get(theirs), f"{where}.{theirs}")
        if text:  # container-structure-test reads '' as "not checked"
            fields[theirs] = text
    for theirs in ("volumes", "unmountedVolumes"):
        volumes = reader.texts(found.get(theirs), f"{where}.{theirs}")
        for i, volume in enumerate(volumes):
            if not volume:
                reader.refuse(f"{where}.{theirs}[{i}]", "an empty volume")
        if volumes:
            fields[_snake(theirs)] = volumes
    if len(fields) == 1:
        return None  # container-structure-test skips an empty metadata test
    aligned = _names("labels exposedPorts entrypoint cmd volumes unmountedVolumes")
    sources = {_snake(theirs): f"{where}.{theirs}[]" for theirs in aligned}
    sources |= {"workdir": f"{where}.workdir", "user": f"{where}.user"}
    return Draft("metadata", "Image metadata", where, fields, sources)


def _expectations(reader: _Reader, node: Node, where: str) -> list[dict[str, object]]:
    """Metadata envVars or labels: an exact value ('' too: set and empty) or a regex."""
    found: list[dict[str, object]] = []
    for pair in reader.env(node, where):
        if not pair.key:
            reader.refuse(f"{pair.where}.key", "missing: container-structure-test fails the test")
        elif pair.is_regex:
            reader.regex(pair.value, f"{pair.where}.value", lines=False)
            found.append({"key": pair.key, "regex": pair.value})
        else:
            found.append({"key": pair.key, "value": pair.value})
    return found


def _ports(reader: _Reader, node: Node, where: str) -> list[str]:
    ports = []
    for i, port in enumerate(reader.texts(node, where)):
        if "/" in port:
            reader.refuse(
                f"{where}[{i}]",
                f"{port!r}: container-structure-test compares port numbers only, so a protocol "
                f"never matches there; write {port.split('/')[0]!r}",
            )
        elif not re.fullmatch(r"[0-9]{1,5}", port):
            reader.refuse(f"{where}[{i}]", f"{port!r} is not a port number")
        else:
            ports.append(port)
    return ports


def _run_options(reader: _Reader, node: Node) -> None:
    """Every option set is refused; left at its default, it changes nothing."""
    where = "containerRunOptions"
    for name, value in reader.fields(node, where, _RUN_OPTIONS).items():
        path = f"{where}.{name}"
        if name in ("privileged", "allocateTty"):
            given = reader.flag(value, path)
        elif name in ("envVars", "capabilities", "bindMounts"):
            given = bool(reader.texts(value, path))
        else:
            given = bool(reader.text(value, path))
        if given:
            reader.refuse(path, "not supported: every run is in grader's sandbox")
