global using Vmm.Controller;
