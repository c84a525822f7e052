"""The graded exercises of the course, one module per chapter (importing this registers them).

Each module says, for every coding exercise of its chapter, how the grader scores it: the case
groups, their points, and the hidden cases, drawn from the generator the grader passes in
(seeded by the course's secret, so the cases are the course's own and are not in this code).
A chapter that gets a new coding exercise gets a grader here; tests/book/test_exercises.py
fails until it has one.
"""

from . import (  # noqa: F401
    ch01_why_cnns,
    ch02_convolution,
    ch03_padding_stride,
    ch04_pooling,
    ch05_im2col,
    ch06_minibatch,
    ch06a_inside_a_conv_layer,
    ch06b_batchnorm_dropout,
    ch06c_optimizers_init,
    ch07_lenet_scratch_mnist,
    ch08_chainer_to_keras,
    ch09_alexnet_keras_mnist,
    ch10_alexnet_scratch_cifar10,
    ch11_alexnet_keras_cifar10,
    ch12_overfitting,
    ch13_modern_cnns,
    ch14_what_it_learned,
    performance,
    scaling,
)
