"""scikit-learn estimators: ``GlassnetClassifier`` and ``GlassnetRegressor``.

Drop-in replacements for ``MLPClassifier`` and ``MLPRegressor``: the same parameters where the
meaning is the same, so replacing one is one word, plus glassnet's own (``optimizer``,
``dropout``, ``weight_decay``, ``standardize``, ``dtype``). They work in ``Pipeline``,
``GridSearchCV``, ``cross_val_score`` and ``clone``, pickle for joblib, and keep the trained
glassnet ``Network`` in ``network_``, so ``network_.explain``, ``glassnet.plots`` and
``network_.save`` (a pickle-free model file) work on it.

Training calls the library for every decision: ``glassnet.tasks`` picks the output layer and
loss for the task and encodes the targets, ``Network.fit`` trains. Data larger than memory
streams through ``fit`` and ``partial_fit`` in blocks:

* a memory-mapped array (``np.load(path, mmap_mode="r")``) is read ``STREAM_BLOCK_BYTES`` at a
  time;
* ``fit(chunks)`` takes, instead of ``X, y``, an iterable of ``(X, y)`` or
  ``(X, y, sample_weight)`` chunks that it reads once to learn the classes and the input
  scaling, then once per epoch (so it must start over when iterated again, as a list or an
  object whose ``__iter__`` reopens its source does); ``partial_fit(chunks)`` reads it once.

A streamed epoch visits the blocks in order and shuffles within each; with ``shuffle=False`` its
batches are those of an in-memory fit whenever the block sizes are multiples of the batch size.

scikit-learn is imported here and only here: ``import glassnet`` does not load it.
"""

from __future__ import annotations

import numbers
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from glassnet import optimizers, schedules, tasks
from glassnet._checks import check_sample_weight, fraction, non_negative_float, positive_int
from glassnet.callbacks import EarlyStopping, History
from glassnet.layers import Dense, Dropout
from glassnet.network import Network
from glassnet.preprocessing import Standardizer

__all__ = ["STREAM_BLOCK_BYTES", "GlassnetClassifier", "GlassnetRegressor"]

#: A memory-mapped ``X`` is trained on in blocks of about this many bytes.
STREAM_BLOCK_BYTES = 64 * 2**20

#: scikit-learn's activation names that glassnet spells differently.
_ACTIVATION_ALIASES = {"logistic": "sigmoid"}


class _GlassnetEstimator(BaseEstimator):
    """What the classifier and the regressor share; see ``GlassnetClassifier`` for the
    parameters."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        optimizer=None,
        weight_decay=0.0,
        dropout=0.0,
        standardize=True,
        dtype=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.standardize = standardize
        self.dtype = dtype

    # -- the public methods ----------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Train on ``X (n_samples, n_features)`` and ``y`` for ``max_iter`` epochs; returns self.

        ``X`` may be a memory-mapped array, read in blocks, or, with ``y=None``, an iterable of
        ``(X, y)`` / ``(X, y, sample_weight)`` chunks (see the module docstring).
        ``sample_weight (n_samples,)`` weighs each sample's loss: ``J = sum_i w_i J_i / sum_i
        w_i``. With ``warm_start=True`` a fitted estimator continues from its weights.
        """
        reuse = self.warm_start and self._fitted()
        if y is None and _is_chunks(X):
            if sample_weight is not None:
                raise ValueError("give chunks their sample weights as (X, y, sample_weight)")
            return self._fit_stream(_reiterable(X), build=not reuse, passes=self.max_iter)
        if isinstance(X, np.memmap) and X.ndim == 2 and X.nbytes > STREAM_BLOCK_BYTES:
            blocks = _row_blocks(X, y, sample_weight, self._batch_size(len(X)))
            return self._fit_stream(blocks, build=not reuse, passes=self.max_iter)
        X, y = self._validate(X, y, reset=not reuse)
        sample_weight = _weights(sample_weight, len(X))
        if not reuse:
            self._start(X, sample_weight, self._targets_of(y))
        self._optimizer = self._new_optimizer()
        callbacks = [self._stopping_rule()] if self.n_iter_no_change is not None else []
        history = self.network_.fit(
            X,
            y,
            **self._training_options(len(X), sample_weight),
            epochs=self.max_iter,
            seed=self._seed,
            validation_split=self.validation_fraction if self.early_stopping else 0.0,
            schedule=self._schedule(),
            callbacks=callbacks,
            print_every=1 if self.verbose else None,
        )
        self._record(_objectives(history), len(X), history, continued=reuse)
        return self

    def _partial_fit(self, X, y, sample_weight, classes):
        """One pass over ``X, y`` (or over an iterable of chunks, with ``y=None``) that
        continues the weights and the optimizer's state; returns self."""
        if y is None and _is_chunks(X):
            if sample_weight is not None:
                raise ValueError("give chunks their sample weights as (X, y, sample_weight)")
            chunks = X
        else:
            chunks = [(X, y, sample_weight)]
        return self._fit_stream(chunks, build=not self._fitted(), passes=1, classes=classes)

    def predict(self, X):
        """Predictions for ``X (n_samples, n_features)``; see the subclasses."""
        X = self._check_inputs(X)
        return self.network_.predict(X)

    def __sklearn_is_fitted__(self) -> bool:
        return self._fitted()

    # -- what a fitted estimator shows -----------------------------------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        """``MLPClassifier``'s view of the weights: ``W^T`` of each Dense layer,
        ``(n_in, n_out)``, sharing memory with ``network_``."""
        check_is_fitted(self)
        return [layer.W.T for layer in self.network_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The biases ``b`` of each Dense layer, sharing memory with ``network_``."""
        check_is_fitted(self)
        return [layer.b for layer in self.network_.layers if isinstance(layer, Dense)]

    # -- training, step by step --------------------------------------------------------------------

    def _fitted(self) -> bool:
        return getattr(self, "network_", None) is not None

    def _fit_stream(self, chunks, *, build: bool, passes: int, classes=None):
        """Train on a sequence of chunks: ``passes`` passes, each chunk once per pass, each
        chunk by one epoch of ``Network.fit`` that continues the optimizer.

        When ``build`` is true a re-iterable ``chunks`` is first read once for the number of
        features, the classes and the input scaling (``passes > 1``); for one pass (partial_fit)
        they come from the first chunk and ``classes``.
        """
        if self.early_stopping:
            raise ValueError(
                "early_stopping holds out part of an in-memory X; it is not available when "
                "training on chunks or a memory-mapped X: set early_stopping=False"
            )
        if build and passes > 1:
            self._survey(chunks)
        if not build:
            self._check_classes(classes)
        if passes > 1:
            self._optimizer = self._new_optimizer()  # a warm start keeps the weights only
        schedule = self._schedule()
        # MLP's stopping rule, the library's EarlyStopping, told about each pass over the chunks.
        stopping = self._stopping_rule() if passes > 1 and self.n_iter_no_change else None
        progress = SimpleNamespace(network=None, history=History(), stop_training=False)
        if stopping is not None:
            stopping.on_train_begin(progress)
        objectives = []
        for epoch in range(passes):
            if schedule is not None:
                last = progress.history.last()
                self._optimizer.learning_rate = schedule(epoch, self._optimizer_learning_rate, last)
            loss_sum, weight_sum, n_samples, penalty = 0.0, 0.0, 0, 0.0
            for index, chunk in enumerate(chunks):
                X, y, sample_weight = _unpack(chunk, index)
                first = build and passes == 1 and epoch == 0 and index == 0
                X, y = self._validate(X, y, reset=first)
                sample_weight = _weights(sample_weight, len(X))
                if first:
                    self._start(X, sample_weight, self._first_targets(y, classes))
                    self._optimizer = self._new_optimizer()
                history = self.network_.fit(
                    X,
                    y,
                    **self._training_options(len(X), sample_weight),
                    epochs=1,
                    seed=_pass_seed(self._seed, self._n_passes, index),
                    metrics=(),
                )
                chunk_weight = len(X) if sample_weight is None else float(np.sum(sample_weight))
                loss_sum += history["loss"][0] * chunk_weight
                weight_sum += chunk_weight
                n_samples += len(X)
                penalty = history.metrics.get("penalty", [0.0])[0]  # at the end of the pass
            self._n_passes += 1
            logs = {"loss": loss_sum / weight_sum}
            progress.history.record(logs)
            objectives.append(logs["loss"] + penalty)
            if stopping is not None:
                stopping.on_epoch_end(progress, epoch, logs)
                if progress.stop_training:
                    break
        self._record(objectives, n_samples, history=None, continued=not build)
        self.network_.history = History({"loss": self.loss_curve_})
        return self

    def _survey(self, chunks) -> None:
        """Read every chunk once: features, targets' classes or width, weighted input scaling."""
        scaler = Standardizer() if self.standardize else None
        labels = []
        for index, chunk in enumerate(chunks):
            X, y, sample_weight = _unpack(chunk, index)
            X, y = self._validate(X, y, reset=index == 0)
            if scaler is not None:
                scaler.partial_fit(X, sample_weight=_weights(sample_weight, len(X)))
            labels.append(self._targets_of(y))
        if not labels:
            raise ValueError("X holds no chunks: give at least one (X, y) chunk")
        self._build(X.dtype, self._merge_targets(labels), scaler)

    def _start(self, X, sample_weight, targets) -> None:
        """Build a new network for ``targets`` (the classes, or the number of outputs), with
        the input scaling learned from ``X``."""
        scaler = None
        if self.standardize:
            scaler = Standardizer().fit(X, sample_weight=sample_weight)
        self._build(X.dtype, targets, scaler)

    def _build(self, data_dtype, targets, scaler) -> None:
        """A new ``network_`` with fresh weights for ``n_features_in_`` inputs and ``targets``
        (the classes, or the number of outputs)."""
        self._set_task(targets)
        spec = self._output_spec()
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self._n_passes = 0
        sizes = _layer_sizes(self.hidden_layer_sizes)
        activation = self._hidden_activation()
        dropout = self._dropout_rate()
        layers = []
        n_in = self.n_features_in_
        for size in sizes:
            layers.append(Dense(n_in, size, activation))
            if dropout:
                layers.append(Dropout(dropout))
            n_in = size
        layers.append(Dense(n_in, spec.n_out, spec.activation))
        dtype = self.dtype if self.dtype is not None else _float_dtype_of(data_dtype)
        network = Network(layers, seed=self._seed, dtype=dtype)
        network.scaler = scaler
        network.classes = getattr(self, "classes_", None)
        if hasattr(self, "feature_names_in_"):
            network.feature_names = tuple(str(name) for name in self.feature_names_in_)
        self.network_ = network
        self.out_activation_ = spec.activation

    def _training_options(self, n_samples: int, sample_weight) -> dict:
        """What every ``Network.fit`` call of this estimator shares."""
        batch_size = self._batch_size(n_samples)
        mean_weight = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        # scikit-learn's alpha is divided by the batch's sample count (its total weight).
        weight_decay = non_negative_float(self.weight_decay, "weight_decay") + non_negative_float(
            self.alpha, "alpha"
        ) / (batch_size * mean_weight if mean_weight > 0 else 1.0)
        options = {
            **self._task_options(),
            "loss": self._output_spec().loss,
            "optimizer": self._optimizer,
            "batch_size": batch_size,
            "weight_decay": weight_decay,
            "shuffle": bool(self.shuffle),
            "standardize": False,  # the scaler was set when the network was built
        }
        if sample_weight is not None:
            options["sample_weight"] = sample_weight
        return options

    def _record(self, objectives, n_samples: int, history, *, continued: bool) -> None:
        """The fitted attributes scikit-learn users read after ``fit``: a continued run (warm
        start, partial_fit) adds its epochs to the curve and the counts, as MLP's do."""
        if not continued:
            self.loss_curve_, self.n_iter_, self.t_ = [], 0, 0
        self.loss_curve_ = [*self.loss_curve_, *(float(value) for value in objectives)]
        self.loss_ = self.loss_curve_[-1]
        self.best_loss_ = min(self.loss_curve_)
        self.n_iter_ += len(objectives)
        self.t_ += n_samples * len(objectives)
        if history is not None and self.early_stopping:
            self.validation_scores_ = list(history[f"val_{self._score_metric}"])
            self.best_validation_score_ = max(self.validation_scores_)
        else:
            self.validation_scores_ = self.best_validation_score_ = None

    # -- parameters, checked when fit needs them -------------------------------------------------

    def _new_optimizer(self):
        if self.optimizer is not None:
            optimizer = optimizers.get(self.optimizer)
            # A fresh copy, so that two estimators given the same object share no state.
            optimizer = optimizers.get(optimizer.get_config())
        elif self.solver == "adam":
            optimizer = optimizers.Adam(
                self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2, epsilon=self.epsilon
            )
        elif self.solver == "sgd":
            optimizer = optimizers.SGD(
                self.learning_rate_init,
                momentum=self.momentum,
                nesterov=bool(self.nesterovs_momentum and self.momentum > 0),
            )
        elif self.solver in optimizers.NAMES:
            optimizer = optimizers.get(self.solver, self.learning_rate_init)
        else:
            raise ValueError(
                f"solver must be one of {', '.join(map(repr, optimizers.NAMES))}, "
                f"got {self.solver!r}"
            )
        self._optimizer_learning_rate = optimizer.learning_rate
        return optimizer

    def _schedule(self):
        if self.learning_rate == "constant":
            return None
        if self.learning_rate == "adaptive":
            # MLP's rule: divide by 5 when the training loss stops falling by tol for 2 epochs.
            return schedules.ReduceOnPlateau("loss", factor=0.2, patience=2, min_delta=self.tol)
        return schedules.get(self.learning_rate)

    def _stopping_rule(self) -> EarlyStopping:
        """MLP's stopping rule: ``n_iter_no_change`` epochs without an improvement of ``tol``
        in the validation score (``early_stopping=True``, keeping the best weights) or in the
        training loss."""
        patience = positive_int(self.n_iter_no_change, "n_iter_no_change") + 1
        tol = non_negative_float(self.tol, "tol")
        if self.early_stopping:
            return EarlyStopping(f"val_{self._score_metric}", patience=patience, min_delta=tol)
        return EarlyStopping("loss", patience=patience, min_delta=tol, restore_best_weights=False)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size is None:
            return n_samples
        return min(positive_int(self.batch_size, "batch_size"), n_samples)

    def _hidden_activation(self) -> str:
        return _ACTIVATION_ALIASES.get(self.activation, self.activation)

    def _dropout_rate(self) -> float:
        return fraction(self.dropout, "dropout")

    def _validate(self, X, y, *, reset: bool):
        """Check ``X`` and ``y`` for training as scikit-learn does, keeping float32 as float32;
        ``reset`` learns ``n_features_in_`` (and ``feature_names_in_``) from them."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(or give X as an iterable of (X, y) chunks)"
            )
        return validate_data(
            self, X, y, reset=reset, dtype=(np.float64, np.float32), **self._y_checks
        )

    def _check_inputs(self, X) -> np.ndarray:
        """Check ``X`` for prediction against what ``fit`` saw."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=(np.float64, np.float32))


class GlassnetClassifier(ClassifierMixin, _GlassnetEstimator):
    """A glassnet network as a scikit-learn classifier, drop-in for ``MLPClassifier``.

    Labels may be of any type (strings too); ``classes_`` holds them in ``predict_proba``
    column order. Two classes train one sigmoid unit with binary cross-entropy, more a softmax
    with cross-entropy (``glassnet.tasks``).

    Parameters shared with ``MLPClassifier`` (same meaning):
        hidden_layer_sizes: units of each hidden layer, e.g. ``(100,)``; ``()`` for none.
        activation: ``"relu"``, ``"tanh"``, ``"logistic"`` (glassnet's ``"sigmoid"``),
            ``"identity"``, or any glassnet activation name (``"leaky_relu"``, ``"softplus"``).
        solver: ``"adam"``, ``"sgd"`` or another glassnet optimizer name (``"rmsprop"``,
            ``"adagrad"``, ``"adamw"``); ``"lbfgs"`` is not available.
        alpha: L2 strength per sample as in scikit-learn: glassnet's ``weight_decay`` gains
            ``alpha / batch_size`` (divided by the batch's total weight with sample weights).
        batch_size: ``"auto"`` (``min(200, n_samples)``), an integer, or None (full batch).
        learning_rate: ``"constant"``, ``"adaptive"`` (divide by 5 on a plateau of the
            training loss), or a glassnet schedule (name, config or ``Schedule``).
        learning_rate_init, max_iter (epochs), shuffle, random_state, tol, verbose,
        warm_start, momentum, nesterovs_momentum (``"sgd"``), early_stopping,
        validation_fraction, beta_1, beta_2, epsilon (``"adam"``), n_iter_no_change (None
        trains all ``max_iter`` epochs).

    glassnet's own:
        optimizer: a glassnet ``Optimizer`` (or its name or config) used instead of ``solver``
            and its settings, e.g. ``glassnet.optimizers.AdamW(0.01, weight_decay=0.1)``.
        weight_decay: the tutorial's ``λ``: ``J`` gains ``λ/2 sum ||W||^2``, biases never.
        dropout: the rate of a ``Dropout`` after every hidden layer (0 for none).
        standardize: learn the inputs' mean and scale (weighted by ``sample_weight``) and keep
            them in ``network_``, so a saved or exported model takes raw inputs.
        dtype: ``"float32"`` or ``"float64"``; None follows ``X`` (float32 stays float32, any
            other input trains in float64), as scikit-learn's MLP does.

    Attributes:
        network_: the trained glassnet ``Network``.
        classes_, n_features_in_, feature_names_in_ (from a DataFrame), n_outputs_,
        out_activation_, loss_, loss_curve_, best_loss_, n_iter_, t_, validation_scores_,
        best_validation_score_, and ``coefs_``/``intercepts_`` (views of ``network_``'s
        weights in MLP's ``(n_in, n_out)`` layout).
    """

    _score_metric = "accuracy"
    _y_checks: ClassVar[dict] = {"multi_output": False}

    def partial_fit(self, X, y=None, sample_weight=None, classes=None):
        """One pass over ``X, y`` (or an iterable of chunks, with ``y=None``) continuing the
        weights and the optimizer's state; ``classes``, every label the stream will hold, is
        required on the first call. Returns self."""
        return self._partial_fit(X, y, sample_weight, classes)

    def _check_classes(self, classes) -> None:
        if classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(
                f"classes={classes!r} differs from the classes_ of the first call to "
                f"partial_fit, {self.classes_!r}"
            )

    def predict(self, X) -> np.ndarray:
        """The predicted labels ``(n_samples,)``, in the values of ``classes_``."""
        return super().predict(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        X = self._check_inputs(X)
        return self.network_.predict_proba(X)

    def predict_log_proba(self, X) -> np.ndarray:
        """``log`` of ``predict_proba``."""
        return np.log(self.predict_proba(X))

    def _targets_of(self, y):
        """The classes ``y`` holds (scikit-learn refuses continuous targets for a classifier)."""
        check_classification_targets(y)
        tasks.infer_task(y, "classification")
        return unique_labels(y)

    def _first_targets(self, y, classes):
        self._targets_of(y)
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return unique_labels(classes)

    def _merge_targets(self, labels):
        return unique_labels(*labels)

    def _set_task(self, classes) -> None:
        self.classes_ = np.asarray(classes)
        self.n_outputs_ = 1

    def _output_spec(self):
        return tasks.output_spec("classification", len(self.classes_))

    def _task_options(self) -> dict:
        return {"task": "classification", "classes": self.classes_}


class GlassnetRegressor(RegressorMixin, _GlassnetEstimator):
    """A glassnet network as a scikit-learn regressor, drop-in for ``MLPRegressor``.

    ``y`` may be ``(n_samples,)`` or ``(n_samples, n_outputs)``; the output layer is linear
    (``identity``). The parameters and attributes are those of ``GlassnetClassifier`` without
    ``classes_``, plus ``MLPRegressor``'s first one:

        loss: ``"squared_error"``, scikit-learn's and the tutorial's ``J = 1/n sum_i 1/2
            ||h(x_i) - y_i||^2``, or any glassnet loss (name, config or ``Loss``), e.g.
            ``"mse"``.
    """

    _score_metric = "r2"
    _y_checks: ClassVar[dict] = {"multi_output": True, "y_numeric": True}

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        optimizer=None,
        weight_decay=0.0,
        dropout=0.0,
        standardize=True,
        dtype=None,
    ):
        self.loss = loss
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            optimizer=optimizer,
            weight_decay=weight_decay,
            dropout=dropout,
            standardize=standardize,
            dtype=dtype,
        )

    def partial_fit(self, X, y=None, sample_weight=None):
        """One pass over ``X, y`` (or an iterable of chunks, with ``y=None``) continuing the
        weights and the optimizer's state. Returns self."""
        return self._partial_fit(X, y, sample_weight, classes=None)

    def _check_classes(self, classes) -> None:
        pass

    def predict(self, X) -> np.ndarray:
        """Predictions ``(n_samples,)`` for one output, ``(n_samples, n_outputs)`` for more."""
        output = super().predict(X)
        return output[:, 0] if self.n_outputs_ == 1 else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _targets_of(self, y):
        """The number of outputs ``y`` asks for."""
        tasks.infer_task(y, "regression")
        return 1 if np.ndim(y) == 1 else np.shape(y)[1]

    def _first_targets(self, y, classes):
        return self._targets_of(y)

    def _merge_targets(self, widths):
        if len(set(widths)) != 1:
            raise ValueError(f"every chunk's y must have the same number of outputs, got {widths}")
        return widths[0]

    def _set_task(self, n_outputs) -> None:
        self.n_outputs_ = int(n_outputs)

    def _output_spec(self):
        return tasks.output_spec("regression", self.n_outputs_, loss=self.loss)

    def _task_options(self) -> dict:
        return {"task": "regression"}


# -- helpers ---------------------------------------------------------------------------------------


def _is_chunks(X) -> bool:
    """Whether ``X`` is an iterable of chunks rather than an array-like of rows."""
    if hasattr(X, "__array__") or hasattr(X, "shape") or isinstance(X, (str, bytes)):
        return False
    if isinstance(X, (list, tuple)):
        return bool(X) and isinstance(X[0], tuple) and len(X[0]) in (2, 3)
    return hasattr(X, "__iter__")


def _reiterable(chunks):
    if iter(chunks) is chunks:
        raise TypeError(
            "fit reads the chunks once to learn the classes and the input scaling, then once "
            "per epoch, so X must start over when iterated again (a list, or an object whose "
            "__iter__ reopens its source), got a one-shot iterator; partial_fit takes one pass "
            "over a one-shot iterator"
        )
    return chunks


def _unpack(chunk, index: int):
    if not isinstance(chunk, tuple) or len(chunk) not in (2, 3):
        raise ValueError(
            f"chunk {index} must be a pair (X, y) or a triple (X, y, sample_weight), "
            f"got {type(chunk).__name__}"
        )
    X, y, *rest = chunk
    return X, y, rest[0] if rest else None


def _row_blocks(X, y, sample_weight, batch_size: int) -> list:
    """``(X, y, w)`` slices of a memory-mapped ``X`` of about ``STREAM_BLOCK_BYTES`` each, a
    whole number of batches; slicing a memory map reads nothing until the block is used."""
    if y is None:
        raise ValueError("fit requires y to be passed, but the target y is None")
    rows = STREAM_BLOCK_BYTES // max(1, X.strides[0])
    rows = max(batch_size, rows - rows % batch_size)
    return [
        (
            X[start : start + rows],
            y[start : start + rows],
            None if sample_weight is None else sample_weight[start : start + rows],
        )
        for start in range(0, len(X), rows)
    ]


def _weights(sample_weight, n_samples: int):
    if sample_weight is None:
        return None
    return check_sample_weight(sample_weight, n_samples, np.float64)


def _objectives(history) -> list[float]:
    """Each epoch's objective ``J``, the data loss plus the penalty, as MLP's ``loss_curve_``."""
    penalties = history.metrics.get("penalty", [0.0] * history.epochs)
    return [loss + penalty for loss, penalty in zip(history["loss"], penalties, strict=True)]


def _pass_seed(seed: int, n_passes: int, chunk: int) -> int:
    """A distinct shuffling seed for every pass over every chunk, from the estimator's seed."""
    return int(np.random.SeedSequence([seed, n_passes, chunk]).generate_state(1)[0])


def _layer_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(
            f"hidden_layer_sizes must be a tuple of positive integers, got {sizes!r}"
        ) from None
    for size in sizes:
        positive_int(size, "hidden_layer_sizes")
    return tuple(int(size) for size in sizes)


def _float_dtype_of(dtype) -> str:
    return "float32" if np.dtype(dtype) == np.float32 else "float64"
