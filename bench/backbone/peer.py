"""Python peer for bench/backbone: the same ResNet18 variant ([2,2,2,3] basic blocks, bias-free convs with separate
BatchNorm, global average pooling, 512 features + a linear head) timed the same way as BackboneThroughput.cs:
feature extraction at 224 px (batch 32) and 96 px (batch 64), one AdamW step at 96 px (batch 64), after warm-up,
for at least 8 s each. Weights are random: throughput does not depend on their values."""
import sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + identity)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for cout, blocks, stride in ((64, 2, 1), (128, 2, 2), (256, 2, 2), (512, 3, 2)):
            layers.append(nn.Sequential(*[Block(cin if b == 0 else cout, cout, stride if b == 0 else 1) for b in range(blocks)]))
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(512, 1)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        return F.adaptive_avg_pool2d(self.layers(x), 1).flatten(1)

    def forward(self, x):
        return self.head(self.features(x)).squeeze(1)


def timed(step, batch):
    for _ in range(2):
        step()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 8 or n < 3:
        step()
        n += 1
    return n * batch / (time.perf_counter() - start)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = Net()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device cpu")
    net.eval()
    with torch.no_grad():
        for size, batch in ((224, 32), (96, 64)):
            x = torch.randn(batch, 3, size, size)
            print(f"extract {size}px batch {batch}: {timed(lambda: net.features(x), batch):.1f} patches/s")
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    x = torch.randn(64, 3, 96, 96)
    y = torch.randint(0, 2, (64,)).float()

    def step():
        loss = F.binary_cross_entropy_with_logits(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    print(f"train step 96px batch 64: {timed(step, 64):.1f} patches/s")


if __name__ == "__main__":
    main()
