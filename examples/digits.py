"""Real data: scikit-learn's 8x8 handwritten digits (shipped inside scikit-learn).

An MLP with one hidden layer and dropout, trained with Adam on a stratified 80/20 split,
reaches about 98% test accuracy in a few seconds.

    python -m pip install scikit-learn && python examples/digits.py
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import glassnet
from glassnet import Dense, Dropout, Network

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.2, stratify=digits.target, random_state=0
)
network = Network([Dense(64, 128, "relu"), Dropout(0.2), Dense(128, 10, "softmax")], seed=0)
history = network.fit(
    X_train,
    y_train,
    optimizer="adam",
    learning_rate=0.002,
    epochs=80,
    batch_size=32,
    standardize=True,
    weight_decay=1e-4,
    validation_split=0.1,
    callbacks=[glassnet.EarlyStopping(patience=10)],
    verbose=True,
)
accuracy = np.mean(network.predict(X_test) == y_test)
print(f"test accuracy {accuracy:.3f} after {history.epochs} epochs (best {history.best_epoch})")
