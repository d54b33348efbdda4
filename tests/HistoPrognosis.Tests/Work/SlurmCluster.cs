using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HistoPrognosis.Tests.Work;

/// <summary>
/// A one-node Slurm cluster on this machine for the tests of its collection: a fresh munge key, a slurm.conf naming
/// this host with its CPUs and fresh state folders under a short temp path (munge's socket path has a length limit),
/// and munged, slurmctld and slurmd started as root without systemd. Disposing stops exactly the processes it
/// started, by the PIDs their pid files name. It never skips: a cluster that cannot start fails every test.
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    private readonly List<string> _pidFiles = [];

    public SlurmCluster()
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
            throw new InvalidOperationException("the Slurm tests start slurmd, which must run as root (run the test command as root)");
        foreach (var tool in new[] { "/usr/sbin/munged", "/usr/sbin/mungekey", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch" })
            if (!File.Exists(tool)) throw new InvalidOperationException($"{tool} is missing: build/install-deps.sh installs slurmctld, slurmd, slurm-client and munge");
        Root = Path.Combine("/tmp", $"hp-slurm-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
        foreach (var dir in new[] { "munge", "state", "spool", "log" }) Directory.CreateDirectory(Path.Combine(Root, dir));
        File.SetUnixFileMode(Path.Combine(Root, "munge"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var key = Path.Combine(Root, "munge", "munge.key");
        var socket = Path.Combine(Root, "munge", "sock");
        try
        {
            Run("/usr/sbin/mungekey", "--create", "--keyfile", key, "--bits", "1024", "--force");
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Daemon(Path.Combine(Root, "munge", "pid"), "/usr/sbin/munged", "--force", "--socket", socket, "--key-file", key,
                "--pid-file", Path.Combine(Root, "munge", "pid"), "--log-file", Path.Combine(Root, "munge", "log"), "--seed-file", Path.Combine(Root, "munge", "seed"));
            Host = Dns.GetHostName().Split('.')[0];
            ConfigPath = Path.Combine(Root, "slurm.conf");
            File.WriteAllText(ConfigPath, $"""
                ClusterName=hptest
                SlurmctldHost={Host}
                SlurmUser=root
                SlurmdUser=root
                AuthType=auth/munge
                AuthInfo=socket={socket}
                CredType=cred/munge
                SlurmctldPort={FreePort()}
                SlurmdPort={FreePort()}
                StateSaveLocation={Root}/state
                SlurmdSpoolDir={Root}/spool
                SlurmctldPidFile={Root}/slurmctld.pid
                SlurmdPidFile={Root}/slurmd.pid
                SlurmctldLogFile={Root}/log/slurmctld.log
                SlurmdLogFile={Root}/log/slurmd.log
                ProctrackType=proctrack/linuxproc
                TaskPlugin=task/none
                SelectType=select/cons_tres
                SelectTypeParameters=CR_Core
                SchedulerType=sched/builtin
                ReturnToService=2
                MpiDefault=none
                JobAcctGatherType=jobacct_gather/none
                AccountingStorageType=accounting_storage/none
                NodeName={Host} CPUs={Environment.ProcessorCount} RealMemory=1000 State=UNKNOWN
                PartitionName=test Nodes={Host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4

                """);
            Daemon(Path.Combine(Root, "slurmctld.pid"), "/usr/sbin/slurmctld", "-f", ConfigPath);
            Daemon(Path.Combine(Root, "slurmd.pid"), "/usr/sbin/slurmd", "-f", ConfigPath);
            WaitForIdleNode();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Root { get; }
    public string Host { get; } = "";
    public string ConfigPath { get; } = "";

    /// <summary>What a child needs to reach this cluster.</summary>
    public IReadOnlyDictionary<string, string> SlurmEnvironment => new Dictionary<string, string> { ["SLURM_CONF"] = ConfigPath };

    /// <summary>Output of a Slurm client command against this cluster.</summary>
    public string Client(string tool, params string[] args) => Run($"/usr/bin/{tool}", args);

    /// <summary>Waits until the job (an array's every task) has left the queue.</summary>
    public void WaitForJob(string jobId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Client("squeue", "-h", "-j", jobId, "-o", "%i %T").Trim().Length > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Slurm job {jobId} still queued after {timeout}: {Client("squeue", "-h", "-j", jobId)}");
            Thread.Sleep(250);
        }
    }

    private void WaitForIdleNode()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string state = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                state = Client("sinfo", "-h", "-o", "%T").Trim();
                if (state is "idle" or "mixed") return;
            }
            catch (InvalidOperationException) { }
            Thread.Sleep(250);
        }
        throw new InvalidOperationException($"the test Slurm node did not become idle (state '{state}'); logs in {Root}/log");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a self-daemonizing program and waits for the pid file that names it.</summary>
    private void Daemon(string pidFile, string program, params string[] args)
    {
        _pidFiles.Add(pidFile);
        Run(program, args);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0))
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"{program} wrote no pid file {pidFile}; logs in {Root}");
            Thread.Sleep(50);
        }
    }

    private string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (ConfigPath.Length > 0) psi.Environment["SLURM_CONF"] = ConfigPath;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) throw new InvalidOperationException($"{program} {string.Join(' ', args)} did not finish");
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    public void Dispose()
    {
        // Daemons in reverse order of start, each by the PID it wrote (never by name).
        foreach (var pidFile in Enumerable.Reverse(_pidFiles))
        {
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid)) continue;
            try
            {
                using var p = Process.GetProcessById(pid);
                using (var term = Process.Start("/bin/kill", ["-TERM", pid.ToString()])) term.WaitForExit();
                if (!p.WaitForExit(10_000)) p.Kill();
            }
            catch (ArgumentException) { } // already gone
            catch (InvalidOperationException) { }
        }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlurmCollection : ICollectionFixture<SlurmCluster>
{
    public const string Name = "slurm";
}
