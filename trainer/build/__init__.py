"""Model building: conversion of the registry weights to ONNX, the mask classifier and adapter, calibrations."""
