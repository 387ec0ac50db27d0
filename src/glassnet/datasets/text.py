"""Short sentences and their labels, for recurrent networks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet._checks import one_of


@dataclass(frozen=True, eq=False)
class Texts:
    """Short texts and their class labels: ``texts[i]`` has label ``y[i]`` (int64, ``0, 1,
    ...``), named ``label_names[y[i]]``. Turn them into token ids for an ``Embedding`` with
    ``glassnet.preprocessing.Vocabulary``."""

    texts: tuple[str, ...]
    y: np.ndarray
    label_names: tuple[str, ...]
    target_name: str


def sentiment(split: str = "train") -> Texts:
    """Short film reviews, ``"negative"`` (0) or ``"positive"`` (1), written for glassnet.

    ``split="train"`` gives 124 sentences, ``"test"`` 58 held-out ones that pair the training
    sentences' words in new ways: ``"the story was not dull"`` is positive, ``"the ending was
    not charming"`` negative. Every adjective is seen in training, plain and after "not", so a
    recurrent network that reads the word order can get all of them right::

        train = datasets.sentiment()
        vocabulary = Vocabulary().fit(train.texts)
        X = vocabulary.encode(train.texts, length=8)   # token ids, 0 pads
    """
    from glassnet.datasets import _sentiment_data

    one_of(split, "split", ("train", "test"))
    pairs = _sentiment_data.TRAIN if split == "train" else _sentiment_data.TEST
    return Texts(
        texts=tuple(text for text, _ in pairs),
        y=np.array([label for _, label in pairs], dtype=np.int64),
        label_names=("negative", "positive"),
        target_name="sentiment",
    )
