"""Monte-Carlo experiments: sampling, one decomposition for every ridge, resolvents, estimators."""
