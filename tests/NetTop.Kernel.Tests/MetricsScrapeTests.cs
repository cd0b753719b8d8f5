using System.Diagnostics;
using System.Globalization;
using System.Net;
using NetTop.Kernel.Tests.Infrastructure;

namespace NetTop.Kernel.Tests;

/// <summary>`nettop serve --metrics`: a real Prometheus scrape over loopback of a namespace scenario.</summary>
public sealed class MetricsScrapeTests
{
    [RootFact(NeedsNettop = true)]
    public async Task Scrape_shows_the_scenario_listener_and_passes_promtool()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await ns.ListenAsync(IPAddress.Loopback, port, backlog: 2);
        for (int i = 0; i < 6; i++)
        {
            await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));
        }
        int metricsPort = TestNamespace.RandomPort() + 20_000;
        ProcessStartInfo psi = new(Requirements.Nettop!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "serve", "--metrics", $"127.0.0.1:{metricsPort}", "--netns", ns.Name, "--refresh", "0.2" })
        {
            psi.ArgumentList.Add(a);
        }
        using Process serve = Process.Start(psi)!;
        Task<string> serveErr = serve.StandardError.ReadToEndAsync();
        Task<string> serveOut = serve.StandardOutput.ReadToEndAsync();
        try
        {
            using HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };
            string local = $"local=\"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}\"";
            string body = "";
            // Bounded: the server needs a moment to start and the hub a tick to see the full queue.
            for (int attempt = 0; attempt < 100 && AcceptQueue(body, local) != 3; attempt++)
            {
                await Task.Delay(200);
                if (serve.HasExited)
                {
                    Assert.Fail($"nettop serve exited with {serve.ExitCode}: {await serveErr}");
                }
                try
                {
                    body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
                }
                catch (HttpRequestException)
                {
                }
            }
            Assert.True(AcceptQueue(body, local) == 3, $"accept queue of the full listener (backlog 2) should read 3:\n{body}");
            Assert.Contains($"nettop_listener_backlog{{netns=\"{ns.Name}\",{local}", body, StringComparison.Ordinal);
            Assert.Contains($"nettop_half_open_connections{{netns=\"{ns.Name}\",state=\"syn_sent\"}} 3", body, StringComparison.Ordinal);
            Assert.Contains($"nettop_source_status{{netns=\"{ns.Name}\",source=\"sockets\",status=\"ok\"}} 1", body, StringComparison.Ordinal);
            Assert.Contains("# TYPE nettop_netstat_listen_overflows_total counter", body, StringComparison.Ordinal);

            // A connect to a closed port: the kernel answers with a passive NO_SOCKET reset, counted by the scrape.
            // The tracepoints start in the background, so connect again each attempt until one is counted.
            string resets = $"nettop_resets_total{{netns=\"{ns.Name}\",direction=\"sent\",kind=\"passive\",reason=\"NO_SOCKET\"}}";
            for (int attempt = 0; attempt < 100 && !body.Contains(resets, StringComparison.Ordinal); attempt++)
            {
                await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port + 1));
                await Task.Delay(200);
                body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
            }
            Assert.True(body.Contains(resets, StringComparison.Ordinal), $"no {resets} in:\n{body}");

            if (Requirements.FindOnPath("promtool") is { } promtool)
            {
                ProcessStartInfo check = new(promtool) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
                check.ArgumentList.Add("check");
                check.ArgumentList.Add("metrics");
                using Process p = Process.Start(check)!;
                await p.StandardInput.WriteAsync(body);
                p.StandardInput.Close();
                string problems = await p.StandardError.ReadToEndAsync() + await p.StandardOutput.ReadToEndAsync();
                Assert.True(p.WaitForExit(30_000), "promtool did not finish");
                Assert.True(p.ExitCode == 0, $"promtool check metrics: {problems}");
            }
        }
        finally
        {
            if (!serve.HasExited)
            {
                using Process kill = Process.Start("kill", ["-TERM", serve.Id.ToString(CultureInfo.InvariantCulture)])!;
                kill.WaitForExit();
                if (!serve.WaitForExit(10_000))
                {
                    serve.Kill(entireProcessTree: true);
                }
            }
        }
        Assert.Equal(0, serve.ExitCode); // SIGTERM ends serve cleanly
    }

    private static double AcceptQueue(string body, string local)
    {
        foreach (string line in body.Split('\n'))
        {
            if (line.StartsWith("nettop_listener_accept_queue{", StringComparison.Ordinal) && line.Contains(local, StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }
}
