"""Generate a demo data set in the exact Kaggle HMS layout, with known true probabilities.

The demo lets a new user run the whole pipeline without a Kaggle account. It is not a claim
about accuracy on real EEG. What it reproduces:

- the files, columns, dtypes and geometry of the Kaggle data (``train.csv``, ``test.csv``,
  ``sample_submission.csv``, one EEG and one spectrogram parquet file per recording); the 50 s
  EEG window of a label row is the centre of its 10-minute spectrogram slice, exactly as in
  Kaggle (EEG sample 0 sits at spectrogram time ``spectrogram offset - EEG offset + 275 s``,
  measured on ``shared/hms_real_mini``);
- the spectrograms are computed from the generated signal (``features.kaggle_spectrogram``),
  so both views describe the same activity;
- signals: spatially correlated background whose bipolar spectrum, slow power changes, alpha
  prevalence and EKG size and leakage are fitted on real recordings (``calibration``), eye
  blinks, muscle bursts, NaN runs, flat and all-NaN channels, and the six patterns with their
  clinical morphology (``seizure_activity``, ``periodic_discharges``, ``rhythmic_delta``);
- labels: each recording has a latent true class-probability vector; votes are multinomial draws
  from it, with vote counts, class mix, disagreement, rows per EEG, offset gaps, EEGs per
  patient and identical-vote rows calibrated on the 106,667 real label rows (``calibration``).

How the truth shows in the signal (so a model can learn it and a perfect one reaches the
oracle KL): seizure amplitude is proportional to ``p_seizure``; periodic-discharge amplitude to
``p_lpd + p_gpd`` and their lateralisation (0 = symmetric, 1 = one hemisphere only) to
``p_lpd / (p_lpd + p_gpd)``; rhythmic-delta amplitude and lateralisation likewise from
``p_lrda`` and ``p_grda``; ``other`` is what is left (background and artifacts only).

Outside the Kaggle files, ``demo_truth.csv`` holds the true probabilities of every train row and
test EEG and ``demo_test_solution.csv`` simulated expert votes (>= 10 per EEG) for the test EEGs.

Modules: ``plan`` (which EEGs, patients, label rows, geometry), ``labels`` (truth, votes, offsets,
patients), ``signals`` (background and artifacts), ``patterns`` (the six classes' patterns),
``recording`` (one recording's signal and files), ``dataset`` (``write_demo_dataset``),
``calibration`` (fitted constants), ``label_stats`` (measuring the label tables on real labels),
``fit`` (measuring the signal constants on real EEG), ``realism`` and ``realism_html`` (the
realism check: how far the demo data is from a real folder). The Kaggle-style spectrogram the
generator writes is ``features.kaggle_spectrogram.kaggle_spectrogram``.
"""
