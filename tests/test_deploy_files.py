"""The deployment files in deploy/ name only settings that exist, and the image holds no course secrets.

None of these files can run here (a hub on its own server, a Kubernetes cluster, an image build),
so each is checked for what can be checked without them:

- every `c.Class.trait` of the Python configurations (loaded with traitlets' PyFileConfigLoader,
  as JupyterHub, Jupyter Server and nbgrader load them) is a configurable trait of a class of the
  versions installed here, which are the versions the kit pins; for the spawners and the
  authenticator of packages the kit does not pin, the trait names were read from the source of
  the release the files target and are listed below, with that release;
- every key of the Helm values is one the chart's values.schema.yaml documents (the list below,
  from that chart release: the schema cannot be downloaded when the tests run), and its Python
  snippets set only real traits and behave as their comments say;
- the image's COPY sources exist (or are what deploy/image/build.sh makes), and its build context
  holds no solutions, hidden tests, answer keys, tests or facilitator guides;
- the versions named in the files agree with pyproject.toml.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
HUB_CONFIG = DEPLOY / "single-server" / "jupyterhub_config.py"
VALUES = DEPLOY / "kubernetes" / "values.yaml"
EXCHANGE_VOLUME = DEPLOY / "kubernetes" / "exchange-volume.yaml"
DOCKERFILE = DEPLOY / "image" / "Dockerfile"
DOCKERIGNORE = DEPLOY / "image" / "Dockerfile.dockerignore"
BUILD_SCRIPT = DEPLOY / "image" / "build.sh"
JUPYTER = DEPLOY / "jupyter"

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# ---------------------------------------------------------------------------------------------
# What the files target, read from the sources of these releases (November 2026).

# Zero to JupyterHub: github.com/jupyterhub/zero-to-jupyterhub-k8s, tag 4.4.0 (2026-06-10),
# jupyterhub/values.schema.yaml. Its hub image runs JupyterHub 5.5.0 (images/hub/requirements.txt)
# with jupyterhub-kubespawner 7.1.0 and oauthenticator 17.4.0.
CHART_VERSION = "4.4.0"
CHART_HUB_JUPYTERHUB = "5.5.0"
# The key paths values.yaml uses, each a property the schema documents (lists are entered
# through their items).
CHART_KEYS = {
    "hub", "hub.config", "hub.config.JupyterHub", "hub.extraEnv", "hub.extraConfig",
    "singleuser", "singleuser.image", "singleuser.image.name", "singleuser.image.tag",
    "singleuser.memory", "singleuser.memory.guarantee", "singleuser.memory.limit",
    "singleuser.cpu", "singleuser.cpu.guarantee", "singleuser.cpu.limit",
    "singleuser.cmd", "singleuser.defaultUrl", "singleuser.fsGid", "singleuser.allowPrivilegeEscalation",
    "singleuser.storage", "singleuser.storage.type", "singleuser.storage.capacity",
    "singleuser.storage.homeMountPath", "singleuser.storage.extraVolumes",
    "singleuser.storage.extraVolumeMounts", "singleuser.networkPolicy", "singleuser.networkPolicy.egress",
    "cull", "cull.enabled", "cull.timeout", "cull.every", "cull.maxAge", "cull.users",
}
# Where the schema takes free-form content, checked by the tests below instead of by the list:
# hub.config.<Class> is traitlets configuration ("Pass-through traitlets configuration of
# Configurable classes"), hub.extraConfig holds Python, extraEnv holds environment variables,
# extraVolumes, extraVolumeMounts and networkPolicy.egress hold Kubernetes objects.
CHART_FREE_FORM = {"hub.config", "hub.extraConfig", "hub.extraEnv", "singleuser.storage.extraVolumes",
                   "singleuser.storage.extraVolumeMounts", "singleuser.networkPolicy.egress"}

# Configurable traits of classes from packages the kit does not pin, read from their sources:
# (package, release, file, the pinned class they extend and whose traits they inherit).
UNPINNED = {
    # github.com/jupyterhub/systemdspawner, tag v1.0.2: systemdspawner/systemdspawner.py
    "SystemdSpawner": ("jupyterhub-systemdspawner", "1.0.2", "systemdspawner", "Spawner", [
        "default_shell", "disable_user_sudo", "dynamic_users", "extra_paths", "isolate_devices",
        "isolate_tmp", "readonly_paths", "readwrite_paths", "slice", "unit_extra_properties",
        "unit_name_template", "user_workingdir", "username_template"]),
    # github.com/jupyterhub/kubespawner, tag 7.1.0: kubespawner/spawner.py (the traits used here)
    "KubeSpawner": ("jupyterhub-kubespawner", "7.1.0", "kubespawner", "Spawner", [
        "fs_gid", "gid", "image", "profile_list", "storage_capacity", "supplemental_gids", "uid",
        "volume_mounts", "volumes"]),
    # github.com/jupyterhub/oauthenticator, tag 17.4.0: oauthenticator/oauth2.py (OAuthenticator)
    # and oauthenticator/generic.py (GenericOAuthenticator)
    "GenericOAuthenticator": ("oauthenticator", "17.4.0", "oauthenticator.generic", "Authenticator", [
        "admin_groups", "allow_all", "allow_existing_users", "allowed_groups", "allowed_scopes",
        "auth_state_groups_key", "authorize_url", "client_id", "client_secret", "enable_pkce",
        "oauth_callback_url", "scope", "token_url", "userdata_url", "username_claim",
        "claim_groups_key", "username_key"]),
}


# ---------------------------------------------------------------------------------------------
# Configurable classes of the pinned packages, by section name

def _named(classes) -> dict[str, list[type]]:
    found: dict[str, list[type]] = {}
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, Configurable) and cls not in found.get(cls.__name__, []):
            found.setdefault(cls.__name__, []).append(cls)
    return found


@functools.lru_cache(maxsize=None)
def hub_classes() -> dict[str, list[type]]:
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import LocalAuthenticator

    return _named([*JupyterHub().classes, LocalAuthenticator])


@functools.lru_cache(maxsize=None)
def server_classes() -> dict[str, list[type]]:
    from jupyter_server.serverapp import ServerApp
    from jupyter_server_terminals.terminalmanager import TerminalManager

    return _named([*ServerApp().classes, TerminalManager])


@functools.lru_cache(maxsize=None)
def nbgrader_classes() -> dict[str, list[type]]:
    import nbgrader.exchange.default as default_exchange
    from nbgrader.apps.nbgraderapp import NbGraderApp

    # The file exchange's classes (Exchange.root, ...) are chosen at run time by ExchangeFactory.
    exchange = [getattr(default_exchange, name) for name in dir(default_exchange)]
    return _named([*NbGraderApp().all_configurable_classes(), *exchange])


def allowed_traits(section: str, classes: dict[str, list[type]]) -> set[str] | None:
    """The trait names a config section may set, or None when no class of that name is known."""
    if section in classes:
        return {name for cls in classes[section] for name in cls.class_traits(config=True)}
    if section in UNPINNED:
        _package, _release, _module, base, names = UNPINNED[section]
        inherited = allowed_traits(base, classes)
        return set(names) | (inherited or set())
    return None


def config_problems(config: Config, classes: dict[str, list[type]]) -> list[str]:
    """One line per section or trait of ``config`` that no class of ``classes`` has."""
    problems = []
    for section, values in config.items():
        if not isinstance(values, Config):
            problems.append(f"{section}: not a class section")
            continue
        known = allowed_traits(section, classes)
        if known is None:
            problems.append(f"{section}: no such configurable class")
            continue
        problems += [f"{section}.{name}: no such trait" for name in values if name not in known]
    return problems


def load_py_config(path: Path) -> Config:
    loader = PyFileConfigLoader(path.name, path=str(path.parent))
    return loader.load_config()


# ---------------------------------------------------------------------------------------------
# The checks can fail

def test_a_wrong_section_or_trait_is_reported():
    classes = hub_classes()
    good = Config({"Spawner": {"mem_limit": "1G"}, "SystemdSpawner": {"isolate_tmp": True, "mem_limit": "1G"}})
    assert config_problems(good, classes) == []
    bad = Config({"Spawner": {"mem_limits": "1G"}, "SystemdSpawner": {"isolate_temp": True},
                  "ServerApp": {"ip": "0.0.0.0"}})
    assert config_problems(bad, classes) == ["Spawner.mem_limits: no such trait",
                                              "SystemdSpawner.isolate_temp: no such trait",
                                              "ServerApp: no such configurable class"]


@pytest.mark.parametrize("name", sorted(UNPINNED))
def test_unpinned_trait_lists_agree_with_the_package_where_it_is_installed(name):
    package, release, module, _base, names = UNPINNED[name]
    if importlib.util.find_spec(module.split(".")[0]) is None:
        pytest.skip(f"{package} is not installed here: the list from its release {release} is used")
    cls = getattr(importlib.import_module(module), name)
    assert set(names) <= set(cls.class_traits(config=True)), f"{package} {release} list is out of date"


# ---------------------------------------------------------------------------------------------
# One server: deploy/single-server/jupyterhub_config.py

def test_single_server_config_sets_only_real_traits(monkeypatch):
    # Both ways the file can run: with and without the hub's idle culler installed.
    real_find_spec = importlib.util.find_spec
    for culler in (False, True):
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a, _c=culler: (object() if _c else None) if name == "jupyterhub_idle_culler"
                            else real_find_spec(name, *a))
        config = load_py_config(HUB_CONFIG)
        assert config_problems(config, hub_classes()) == []
        assert bool(config.JupyterHub.services) == culler


def test_single_server_config_overrides_and_roles_are_real(monkeypatch):
    from jupyterhub.scopes import scope_definitions

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "jupyterhub_idle_culler" else real_find_spec(name, *a))
    config = load_py_config(HUB_CONFIG)
    spawner_traits = allowed_traits("SystemdSpawner", hub_classes())
    for override in config.Spawner.group_overrides.values():
        assert set(override["spawner_override"]) <= spawner_traits, override
        assert override["groups"] == ["trainers"]
    assert "trainers" in config.JupyterHub.load_groups and "learners" in config.JupyterHub.load_groups
    for role in config.JupyterHub.load_roles:
        assert set(role["scopes"]) <= set(scope_definitions), role["scopes"]
        assert set(role["services"]) <= {s["name"] for s in config.JupyterHub.services}
    assert config.JupyterHub.spawner_class == "systemdspawner.SystemdSpawner"
    # The limits are enforced (systemd) and a trainer gets more than a learner.
    trainers = config.Spawner.group_overrides["1-trainers"]["spawner_override"]
    assert _bytes(trainers["mem_limit"]) > _bytes(config.Spawner.mem_limit)
    assert trainers["cpu_limit"] > config.Spawner.cpu_limit


def test_single_server_paths_are_the_repository_files():
    """The hub starts servers with deploy/start-server.sh and deploy/jupyter/, installed under KIT."""
    config = load_py_config(HUB_CONFIG)
    namespace = _exec(HUB_CONFIG)
    kit = namespace["KIT"]
    start, server = config.Spawner.cmd
    assert start == str(kit / "bin" / "start-server") and server.endswith("/jupyterhub-singleuser")
    readme = (DEPLOY / "README.md").read_text()
    assert f"deploy/start-server.sh {kit}/bin/start-server" in readme
    assert f"deploy/jupyter {kit}/jupyter" in readme or f"deploy/jupyter/ {kit}/jupyter" in readme
    paths = [config.Spawner.environment["JUPYTER_CONFIG_PATH"],
             config.Spawner.group_overrides["1-trainers"]["spawner_override"]["environment"]["JUPYTER_CONFIG_PATH"]]
    for value in paths:
        for folder in value.split(os.pathsep):
            assert folder.startswith(str(kit / "jupyter")), folder
            assert (JUPYTER / Path(folder).relative_to(kit / "jupyter")).is_dir(), folder
    assert config.Spawner.default_url == "/lab/tree/course/START.ipynb" and (REPO / "START.ipynb").exists()
    assert config.Spawner.environment["COURSEKIT_ROOT"] == "~/course"


def test_single_server_reads_cohorts_from_the_rosters(tmp_path):
    cohorts = _exec(HUB_CONFIG)["cohorts"]
    (tmp_path / "benefits-march.csv").write_text(
        "learner_id,first_name,last_name,email,department,profile\n"
        "bn-0412,Amina,,,Benefits,caseworker\nbn-0588,,,,Benefits,caseworker\n", encoding="utf-8")
    (tmp_path / "policy-may.csv").write_text(  # saved from a spreadsheet: BOM and semicolons
        "\ufefflearner_id;department;profile\npol-1187;Policy;policy_officer\n", encoding="utf-8")
    assert cohorts(tmp_path) == {"benefits-march": ["bn-0412", "bn-0588"], "policy-may": ["pol-1187"]}
    assert cohorts(tmp_path / "missing") == {}


# ---------------------------------------------------------------------------------------------
# What every server reads: deploy/jupyter/

def test_server_and_nbgrader_configs_set_only_real_traits():
    assert config_problems(load_py_config(JUPYTER / "learner" / "jupyter_server_config.py"), server_classes()) == []
    assert config_problems(load_py_config(JUPYTER / "learner" / "nbgrader_config.py"), nbgrader_classes()) == []
    for path in JUPYTER.rglob("jupyter_server_config.d/*.json"):
        data = json.loads(path.read_text())
        assert config_problems(Config(data), server_classes()) == [], path
    for path in JUPYTER.rglob("labconfig/page_config.json"):
        assert set(json.loads(path.read_text())) == {"disabledExtensions"}, path


PROBE = """
import json, os, sys
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_static_page_config
seen = {}
for who, path in json.loads(sys.argv[1]).items():
    os.environ["JUPYTER_CONFIG_PATH"] = path
    app = ServerApp()
    app.find_server_extensions()
    disabled = get_static_page_config().get("disabledExtensions", {})
    seen[who] = {"extensions": {k: v for k, v in app.jpserver_extensions.items() if k.startswith("nbgrader")},
                 "disabled": sorted(k for k, v in disabled.items() if v)}
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_formgrader_is_for_trainers_only(tmp_path):
    """What Jupyter Server and JupyterLab make of the folders on JUPYTER_CONFIG_PATH, as the hub
    sets it for a learner (learner/) and for a trainer (trainer/ before learner/)."""
    paths = {"learner": str(JUPYTER / "learner"),
             "trainer": os.pathsep.join([str(JUPYTER / "trainer"), str(JUPYTER / "learner")])}
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(paths)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    trainer_tools = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]
    learner_tools = ["nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment"]
    for who, got in seen.items():
        assert all(got["extensions"].get(name) is (who == "trainer") for name in trainer_tools), (who, got)
        assert all(got["extensions"].get(name) is True for name in learner_tools), (who, got)
        assert "@jupyterlab/apputils-extension:announcements" in got["disabled"], who
        assert ("@jupyter/nbgrader:formgrader" in got["disabled"]) is (who == "learner"), (who, got)


# ---------------------------------------------------------------------------------------------
# Kubernetes: deploy/kubernetes/values.yaml

def _values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def chart_key_problems(values: dict) -> list[str]:
    problems = []

    def walk(node, path):
        if path in CHART_FREE_FORM:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                if child not in CHART_KEYS:
                    problems.append(f"{child}: not a key of the chart {CHART_VERSION}")
                    continue
                walk(value, child)

    walk(values, "")
    return problems


def test_values_yaml_keys_are_documented_by_the_chart():
    values = _values()
    assert chart_key_problems(values) == []
    assert chart_key_problems({"singleuser": {"memory": {"limits": "1G"}}, "culling": {}}) == [
        f"singleuser.memory.limits: not a key of the chart {CHART_VERSION}",
        f"culling: not a key of the chart {CHART_VERSION}"]
    # hub.config is traitlets configuration of the hub's classes.
    assert config_problems(Config(values["hub"]["config"]), hub_classes()) == []


def test_values_yaml_names_the_chart_version_and_the_kit_version():
    text = VALUES.read_text()
    assert f'version {CHART_VERSION})' in text and f"--version {CHART_VERSION}" in text
    # The chart's hub runs a JupyterHub in the range the kit's servers install (pyproject's dev extra).
    assert Version(CHART_HUB_JUPYTERHUB) in SpecifierSet(_pinned("jupyterhub"))
    assert str(_values()["singleuser"]["image"]["tag"]) == PYPROJECT["version"]


def _extra_config(values: dict) -> tuple[Config, dict]:
    """Run the hub.extraConfig snippets in order, as the chart does, on an empty config."""
    config = Config()
    namespace = {"c": config, "get_config": lambda: config}
    for name in sorted(values["hub"]["extraConfig"]):
        exec(compile(values["hub"]["extraConfig"][name], f"hub.extraConfig.{name}", "exec"), namespace)
    return config, namespace


def test_values_yaml_extra_config_sets_only_real_traits():
    config, _ = _extra_config(_values())
    assert config_problems(config, hub_classes()) == []
    assert set(config) == {"KubeSpawner"}


def _spawner(user_id: int, name: str, groups=()):
    user = SimpleNamespace(id=user_id, name=name, groups=[SimpleNamespace(name=g) for g in groups])
    return SimpleNamespace(user=user)


def test_every_server_runs_under_a_user_id_of_its_own():
    """nbgrader's exchange tells learners apart by user id; the chart's default gives everyone 1000."""
    config, _ = _extra_config(_values())
    uid = config.KubeSpawner.uid
    ids = [uid(_spawner(n, f"user{n}")) for n in range(1, 501)]
    assert len(set(ids)) == len(ids), "two people would share a user id"
    assert min(ids) > 65535 and 1000 not in ids, "user ids must not meet the image's own users"
    assert uid(_spawner(7, "a")) == uid(_spawner(7, "a")), "a person's user id must not change between starts"
    assert config.KubeSpawner.gid == 100 == _values()["singleuser"]["fsGid"]


def test_trainers_have_profiles_and_learners_the_defaults():
    values = _values()
    config, _ = _extra_config(values)
    profiles = config.KubeSpawner.profile_list
    assert profiles(_spawner(3, "bn-0412", ["learners"])) == []
    offered = profiles(_spawner(4, "trainer1", ["trainers"]))
    assert len(offered) >= 2 and sum(bool(p.get("default")) for p in offered) == 1
    kube = allowed_traits("KubeSpawner", hub_classes())
    learner_memory = _bytes(values["singleuser"]["memory"]["limit"])
    for profile in offered:
        override = profile["kubespawner_override"]
        assert set(override) <= kube, profile["slug"]
        assert _bytes(override["mem_limit"]) >= learner_memory
        env = override["environment"]
        # Trainers get nbgrader's trainer tools, in the image's layout (deploy/jupyter -> /opt/coursekit/jupyter).
        folders = env["JUPYTER_CONFIG_PATH"].split(":")
        assert [Path(f).name for f in folders] == ["trainer", "learner"]
        assert all(f.startswith("/opt/coursekit/jupyter/") for f in folders)
        # The gradebook's address and password come from a Secret, not from this file.
        for name in ("COURSEKIT_DB_URL", "PGPASSWORD"):
            assert set(env[name]) == {"valueFrom"} and "secretKeyRef" in env[name]["valueFrom"], name


def _walk_strings(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk_strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_strings(v, f"{path}[{i}]")
    else:
        yield path, node


def test_no_secret_is_written_in_the_values():
    values = _values()
    secret = re.compile(r"(password|secret|api_?token|secret_?token)$")
    for path, value in _walk_strings(values):
        if secret.search(path.rsplit(".", 1)[-1].lower()):
            assert not isinstance(value, str), f"{path} is written in the file"
        if isinstance(value, str):
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{path} has a password in a URL"
    for name, env in values["hub"]["extraEnv"].items():
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*", name)
        assert set(env) == {"valueFrom"}, f"hub.extraEnv.{name} must come from a Secret"


def test_the_exchange_is_one_shared_volume_at_nbgraders_root():
    values = _values()
    storage = values["singleuser"]["storage"]
    volumes = {v["name"]: v for v in storage["extraVolumes"]}
    mounts = {m["name"]: m for m in storage["extraVolumeMounts"]}
    assert set(mounts) <= set(volumes)
    root = load_py_config(JUPYTER / "learner" / "nbgrader_config.py").Exchange.root
    exchange = [m for m in mounts.values() if m["mountPath"] == root]
    assert len(exchange) == 1, f"nothing mounted at the exchange root {root}"
    claim = volumes[exchange[0]["name"]]["persistentVolumeClaim"]["claimName"]
    documents = [d for d in yaml.safe_load_all(EXCHANGE_VOLUME.read_text()) if d]
    pvcs = {d["metadata"]["name"]: d for d in documents if d["kind"] == "PersistentVolumeClaim"}
    assert claim in pvcs and pvcs[claim]["spec"]["accessModes"] == ["ReadWriteMany"]
    jobs = [d for d in documents if d["kind"] == "Job"]
    assert any(v["persistentVolumeClaim"]["claimName"] == claim for j in jobs for v in j["spec"]["template"]["spec"]["volumes"])
    assert "chmod 1777" in json.dumps(jobs)
    # The single server uses the same root (the guide and the README name it too).
    assert root in (REPO / "course" / "workshops" / "running-a-cohort.md").read_text()


def test_the_servers_open_the_start_page_of_their_course_copy():
    values = _values()
    assert values["singleuser"]["defaultUrl"] == load_py_config(HUB_CONFIG).Spawner.default_url
    assert values["singleuser"]["storage"]["homeMountPath"] == "/home/jovyan"
    assert _dockerfile_env()["COURSEKIT_ROOT"] == "/home/jovyan/course"


# ---------------------------------------------------------------------------------------------
# The image: deploy/image/Dockerfile

def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _dockerfile_env() -> dict[str, str]:
    env = {}
    for word, rest in _instructions():
        if word == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return env


def _copies() -> list[tuple[list[str], str]]:
    copies = []
    for word, rest in _instructions():
        if word in ("COPY", "ADD"):
            assert word == "COPY", "ADD fetches URLs and unpacks archives: use COPY"
            parts = [p for p in rest.split() if not p.startswith("--")]
            copies.append((parts[:-1], parts[-1]))
    return copies


# What deploy/image/build.sh makes before the image is built: the kit's wheel.
BUILT = "build/wheel/"
COURSE_SECRETS = ("solutions/", "tests/", "course/answer_keys/")


def _ignore_rules() -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**", i):
                regex += ".*"
                i += 2
                if pattern.startswith("/", i):
                    regex += "/?"
                    i += 1
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        rules.append((include, re.compile(regex + r"\Z")))
    return rules


def in_context(path: str, rules) -> bool:
    """Whether Docker sends ``path`` to the builder: the last rule matching it, or one of its
    parent folders, decides (as in Docker's .dockerignore)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    keep = True
    for include, pattern in rules:
        if any(pattern.match(p) for p in prefixes):
            keep = include
    return keep


def _context_files() -> list[str]:
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                                 check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: the files on disk
        skip = {".git", ".venv", ".learner", "build", "__pycache__", ".pytest_cache"}
        tracked = [p.relative_to(REPO).as_posix() for p in REPO.rglob("*")
                   if p.is_file() and not skip & set(p.relative_to(REPO).parts)]
    wheel = f"{BUILT}coursekit-{PYPROJECT['version']}-py3-none-any.whl"
    rules = _ignore_rules()
    return [f for f in [*tracked, wheel] if in_context(f, rules)]


def test_image_copies_what_exists_or_what_the_build_step_makes():
    build = BUILD_SCRIPT.read_text()
    assert f"--wheel-dir {BUILT.rstrip('/')}" in build and "rm -rf build/wheel" in build
    assert "--file deploy/image/Dockerfile" in build and build.rstrip().splitlines()[-2].endswith(" .")
    context = _context_files()
    for sources, _dest in _copies():
        for source in sources:
            if source.startswith(BUILT):
                assert any(f.startswith(BUILT) and f.endswith(".whl") for f in context), "the wheel is left out"
                continue
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            in_ctx = [f for f in context if f == source.rstrip("/") or f.startswith(source.rstrip("/") + "/")]
            assert in_ctx, f"COPY {source}: left out of the build context by {DOCKERIGNORE.name}"


def test_image_holds_no_solutions_tests_or_answer_keys():
    context = _context_files()
    leaks = [f for f in context if f.startswith(COURSE_SECRETS) or f.endswith("facilitator.md")
             or "answers" in f.rsplit("/", 1)[-1] or f.endswith((".manifest.json", ".datasheet.md"))]
    assert leaks == [], f"in the image's build context: {leaks[:10]}"
    for sources, _dest in _copies():
        for source in sources:
            assert source.strip("/") not in {".", ""} and not source.startswith(COURSE_SECRETS), source
    # The rule set really filters: a solution would be let in without it.
    assert in_context("solutions/m01_right_tool/exercise.ipynb", []) is True
    assert in_context("solutions/m01_right_tool/exercise.ipynb", _ignore_rules()) is False
    assert in_context("modules/m03_fairness/facilitator.md", _ignore_rules()) is False
    assert in_context("modules/m03_fairness/lesson.ipynb", _ignore_rules()) is True


def test_image_installs_the_wheel_and_the_pinned_jupyterhub():
    runs = " ".join(rest for word, rest in _instructions() if word == "RUN")
    assert re.search(r"pip install [^&]*/tmp/wheel/coursekit-\*\.whl", runs)
    assert " -e " not in runs and "--editable" not in runs
    hub = re.search(r'"jupyterhub([^"]*)"', runs)
    assert hub and SpecifierSet(hub.group(1)) == SpecifierSet(_pinned("jupyterhub"))
    base = next(rest for word, rest in _instructions() if word == "FROM")
    python = re.match(r"python:(\d+\.\d+)", base)
    assert python and Version(python.group(1)) in SpecifierSet(PYPROJECT["requires-python"])
    assert _dockerfile_env()["JUPYTER_CONFIG_PATH"] == "/opt/coursekit/jupyter/learner"
    words = [w for w, _ in _instructions()]
    assert words.count("USER") == 1 and dict(_instructions())["USER"] != "root"


# ---------------------------------------------------------------------------------------------

def _pinned(name: str) -> str:
    for req in PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["dev"]:
        req = req.split(";")[0].strip()
        if re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower() == name:
            return req[len(name):].strip()
    raise AssertionError(f"{name} is not in pyproject.toml")


def _bytes(size) -> float:
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    size = str(size)
    return float(size[:-1]) * units[size[-1]] if size[-1] in units else float(size)


def _exec(path: Path) -> dict:
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(path), "__name__": "deploy_config"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace
