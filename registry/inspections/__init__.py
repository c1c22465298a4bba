"""Double-random spot checks (双随机一公开): a regulator draws labels and inspectors at random, with a published
seed anyone can reproduce the draw from; the inspectors record the results, which are public."""
